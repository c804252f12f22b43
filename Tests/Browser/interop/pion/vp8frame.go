package main

import "fmt"

// vp8Frame is what a VP8 frame's uncompressed header says (RFC 6386 §9.1).
type vp8Frame struct {
	key, shown    bool
	width, height int
}

// parseVP8Frame checks a reassembled frame's header: the 3-byte frame tag, whose first partition must
// fit in the frame, and on a keyframe the start code 9d 01 2a and the picture's size. A frame put
// together from the wrong packets (lost, reordered or mixed-up partitions) usually fails here.
func parseVP8Frame(frame []byte) (vp8Frame, error) {
	if len(frame) < 3 {
		return vp8Frame{}, fmt.Errorf("%d bytes: shorter than a frame tag", len(frame))
	}
	tag := uint32(frame[0]) | uint32(frame[1])<<8 | uint32(frame[2])<<16
	key := tag&1 == 0
	if version := (tag >> 1) & 7; version > 3 {
		return vp8Frame{}, fmt.Errorf("version %d", version)
	}
	header := 3
	if key {
		header = 10
	}
	if firstPartition := int(tag >> 5); firstPartition == 0 || header+firstPartition > len(frame) {
		return vp8Frame{}, fmt.Errorf("first partition of %d bytes in a %d-byte frame", firstPartition, len(frame))
	}
	shown := tag&0x10 != 0
	if !key {
		return vp8Frame{shown: shown}, nil
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return vp8Frame{}, fmt.Errorf("keyframe start code % x", frame[3:6])
	}
	width := int(uint16(frame[6])|uint16(frame[7])<<8) & 0x3fff
	height := int(uint16(frame[8])|uint16(frame[9])<<8) & 0x3fff
	if width == 0 || height == 0 {
		return vp8Frame{}, fmt.Errorf("keyframe of %dx%d", width, height)
	}
	return vp8Frame{key: true, shown: shown, width: width, height: height}, nil
}
