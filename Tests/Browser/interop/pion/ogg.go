package main

import (
	"encoding/binary"
	"fmt"
	"os"
)

// oggOpusFile writes Opus packets as an Ogg Opus file (RFC 7845), one packet per page. Pion 3.1's
// oggwriter writes a single lacing value per page, so a packet of 255 bytes or more (aiortc's and
// browsers' Opus often is) gets a wrong segment table and a page no demuxer accepts.
type oggOpusFile struct {
	file     *os.File
	serial   uint32
	sequence uint32
	granule  uint64
	packets  int
}

var oggCRC = func() (table [256]uint32) {
	for i := range table {
		r := uint32(i) << 24
		for bit := 0; bit < 8; bit++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		table[i] = r
	}
	return table
}()

func createOggOpus(path string, channels uint8) (*oggOpusFile, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	f := &oggOpusFile{file: file, serial: 0x5045524c} // "PERL"
	head := []byte("OpusHead\x01")
	head = append(head, channels)
	head = binary.LittleEndian.AppendUint16(head, 0)     // pre-skip: the packets are a live stream's
	head = binary.LittleEndian.AppendUint32(head, 48000) // input sample rate (informational)
	head = append(head, 0, 0, 0)                         // output gain 0, channel mapping family 0
	tags := []byte("OpusTags")
	tags = binary.LittleEndian.AppendUint32(tags, 10)
	tags = append(tags, "pionclient"...)
	tags = binary.LittleEndian.AppendUint32(tags, 0)
	if err = f.page(head, 0x02, 0); err == nil {
		err = f.page(tags, 0, 0)
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return f, nil
}

// write adds one packet; samples is its duration at 48 kHz (from the RTP timestamps).
func (f *oggOpusFile) write(packet []byte, samples uint32) error {
	f.granule += uint64(samples)
	f.packets++
	return f.page(packet, 0, f.granule)
}

func (f *oggOpusFile) page(packet []byte, headerType byte, granule uint64) error {
	segments := len(packet)/255 + 1 // a final lacing value under 255 (possibly 0) ends the packet
	if segments > 255 {
		return fmt.Errorf("a %d-byte packet does not fit in one Ogg page", len(packet))
	}
	page := make([]byte, 27, 27+segments+len(packet))
	copy(page, "OggS")
	page[5] = headerType
	binary.LittleEndian.PutUint64(page[6:], granule)
	binary.LittleEndian.PutUint32(page[14:], f.serial)
	binary.LittleEndian.PutUint32(page[18:], f.sequence)
	page[26] = byte(segments)
	for i := 0; i < segments-1; i++ {
		page = append(page, 255)
	}
	page = append(page, byte(len(packet)%255))
	page = append(page, packet...)
	var crc uint32
	for _, b := range page {
		crc = crc<<8 ^ oggCRC[byte(crc>>24)^b]
	}
	binary.LittleEndian.PutUint32(page[22:], crc)
	f.sequence++
	_, err := f.file.Write(page)
	return err
}

func (f *oggOpusFile) close() error {
	return f.file.Close()
}
