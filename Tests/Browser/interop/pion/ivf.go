package main

import (
	"encoding/binary"
	"os"
)

// ivfFile writes whole VP8 frames as they came out of the samplebuilder, so the test decodes exactly
// the frames this client checked (Pion's ivfwriter reassembles RTP packets itself, without the checks).
type ivfFile struct {
	file   *os.File
	frames uint32
}

func createIVF(path string, width, height int) (*ivfFile, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	header := make([]byte, 32)
	copy(header, "DKIF")
	binary.LittleEndian.PutUint16(header[4:], 0)  // version
	binary.LittleEndian.PutUint16(header[6:], 32) // header size
	copy(header[8:], "VP80")
	binary.LittleEndian.PutUint16(header[12:], uint16(width))
	binary.LittleEndian.PutUint16(header[14:], uint16(height))
	binary.LittleEndian.PutUint32(header[16:], 90000) // time base 1/90000: frames carry RTP timestamps
	binary.LittleEndian.PutUint32(header[20:], 1)
	if _, err = file.Write(header); err != nil {
		file.Close()
		return nil, err
	}
	return &ivfFile{file: file}, nil
}

func (f *ivfFile) write(frame []byte, timestamp uint64) error {
	header := make([]byte, 12)
	binary.LittleEndian.PutUint32(header, uint32(len(frame)))
	binary.LittleEndian.PutUint64(header[4:], timestamp)
	if _, err := f.file.Write(header); err != nil {
		return err
	}
	_, err := f.file.Write(frame)
	f.frames++
	return err
}

// close records the frame count in the header (bytes 24-27) and closes the file.
func (f *ivfFile) close() error {
	count := make([]byte, 4)
	binary.LittleEndian.PutUint32(count, f.frames)
	if _, err := f.file.WriteAt(count, 24); err != nil {
		f.file.Close()
		return err
	}
	return f.file.Close()
}
