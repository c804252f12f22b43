package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media/samplebuilder"
)

// viewer is a WHEP viewer's receiving side: counts per kind, and every VP8 frame checked.
type viewer struct {
	s                    *session
	ivfPath, oggPath     string
	wantVideo, wantAudio int
	enough               chan string
	started              time.Time

	mu              sync.Mutex
	packets, bytes  map[string]int
	tracks          map[string]map[string]interface{}
	sequenceGaps    map[string]int
	frames          int // good VP8 frames out of the samplebuilder
	keyframes       int
	hidden          int // frames with show_frame 0 (alt-ref), counted among the good ones
	badFrames       int
	badReasons      []string
	droppedPackets  int // packets the samplebuilder gave up on (incomplete frames)
	sizes           map[string]int
	firstKeyframeMs int64
	plisSent        int
	ivf             *ivfFile
	ogg             *oggOpusFile
	finished        bool
	writeErrors     []string
}

// watch asks for audio and video (recvonly) and receives until enough arrived or done says stop.
func watch(endpoint, token, ivfPath, oggPath string, wantVideo, wantAudio int, done <-chan string) map[string]interface{} {
	s, err := newSession(endpoint, token)
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	v := &viewer{s: s, ivfPath: ivfPath, oggPath: oggPath, wantVideo: wantVideo, wantAudio: wantAudio,
		enough: make(chan string, 1), started: time.Now(), packets: map[string]int{}, bytes: map[string]int{},
		tracks: map[string]map[string]interface{}{}, sequenceGaps: map[string]int{}, sizes: map[string]int{},
		firstKeyframeMs: -1}
	why, err := v.run(done)
	s.leave()
	return v.report(why, err)
}

func (v *viewer) run(done <-chan string) (string, error) {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := v.s.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return "error", err
		}
	}
	v.s.pc.OnTrack(v.onTrack)
	if err := v.s.negotiate(); err != nil {
		return "error", err
	}
	if err := v.s.waitConnected(done, 20*time.Second); err != nil {
		return "error", err
	}
	select {
	case why := <-done:
		return why, nil
	case why := <-v.enough:
		return why, nil
	}
}

func (v *viewer) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	kind := track.Kind().String()
	codec := track.Codec()
	v.mu.Lock()
	v.tracks[kind] = map[string]interface{}{"mime": codec.MimeType, "payload_type": int(codec.PayloadType),
		"clock_rate": codec.ClockRate, "channels": codec.Channels, "ssrc": uint32(track.SSRC()),
		"after_ms": time.Since(v.started).Milliseconds()}
	v.mu.Unlock()
	switch {
	case kind == "video" && strings.EqualFold(codec.MimeType, webrtc.MimeTypeVP8):
		go v.askForKeyframe(track)
		v.receiveVideo(track)
	case kind == "audio" && strings.EqualFold(codec.MimeType, webrtc.MimeTypeOpus):
		v.receiveAudio(track)
	default:
		v.note(fmt.Sprintf("unexpected %s track %s", kind, codec.MimeType))
		v.count(kind, track, nil)
	}
}

// askForKeyframe sends a PLI each second until a keyframe arrives, as Pion applications do; the
// relay should have asked the publisher for one when this viewer joined, so usually none goes out.
func (v *viewer) askForKeyframe(track *webrtc.TrackRemote) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for range ticker.C {
		v.mu.Lock()
		stop := v.keyframes > 0 || v.finished
		v.mu.Unlock()
		if stop {
			return
		}
		if err := v.s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}}); err != nil {
			return
		}
		v.mu.Lock()
		v.plisSent++
		v.mu.Unlock()
	}
}

// count tallies one packet (nil: read until the track ends, counting only).
func (v *viewer) count(kind string, track *webrtc.TrackRemote, packet *rtp.Packet) {
	if packet != nil {
		v.mu.Lock()
		v.packets[kind]++
		v.bytes[kind] += len(packet.Payload)
		v.mu.Unlock()
		return
	}
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		v.count(kind, track, p)
	}
}

func (v *viewer) receiveVideo(track *webrtc.TrackRemote) {
	builder := samplebuilder.New(256, &codecs.VP8Packet{}, 90000)
	var last uint16
	var previousTimestamp uint32
	var elapsed uint64
	first := true
	for {
		packet, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		v.count("video", track, packet)
		if !first && packet.SequenceNumber != last+1 {
			v.mu.Lock()
			v.sequenceGaps["video"]++
			v.mu.Unlock()
		}
		if first {
			previousTimestamp, first = packet.Timestamp, false
		}
		last = packet.SequenceNumber
		builder.Push(packet)
		for sample := builder.Pop(); sample != nil; sample = builder.Pop() {
			// RTP timestamps wrap at 2^32: advance by the (wrapping) difference.
			elapsed += uint64(sample.PacketTimestamp - previousTimestamp)
			previousTimestamp = sample.PacketTimestamp
			v.frame(sample.Data, elapsed, int(sample.PrevDroppedPackets))
		}
	}
}

// frame checks one reassembled VP8 frame and, from the first keyframe on, writes it to the IVF.
func (v *viewer) frame(data []byte, timestamp uint64, dropped int) {
	header, err := parseVP8Frame(data)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.droppedPackets += dropped
	if err != nil {
		v.badFrames++
		if len(v.badReasons) < 5 {
			v.badReasons = append(v.badReasons, err.Error())
		}
		return
	}
	v.frames++
	if !header.shown {
		v.hidden++
	}
	if header.key {
		v.keyframes++
		v.sizes[fmt.Sprintf("%dx%d", header.width, header.height)]++
		if v.firstKeyframeMs < 0 {
			v.firstKeyframeMs = time.Since(v.started).Milliseconds()
		}
		if v.ivf == nil && v.ivfPath != "" && !v.finished {
			if v.ivf, err = createIVF(v.ivfPath, header.width, header.height); err != nil {
				v.writeErrors = append(v.writeErrors, err.Error())
			}
		}
	}
	if v.ivf != nil && !v.finished {
		if err = v.ivf.write(data, timestamp); err != nil {
			v.writeErrors = append(v.writeErrors, err.Error())
		}
	}
	v.checkEnough()
}

func (v *viewer) receiveAudio(track *webrtc.TrackRemote) {
	var last uint16
	var previousTimestamp uint32
	first := true
	for {
		packet, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		v.count("audio", track, packet)
		v.mu.Lock()
		if !first && packet.SequenceNumber != last+1 {
			v.sequenceGaps["audio"]++
		}
		// The granule advances by the RTP timestamp's (wrapping) step: 960 for 20 ms at 48 kHz.
		samples := uint32(960)
		if step := packet.Timestamp - previousTimestamp; !first && step > 0 && step <= 10*48000 {
			samples = step // a reordered packet (a negative step) keeps the 20 ms default
		}
		last, previousTimestamp, first = packet.SequenceNumber, packet.Timestamp, false
		if v.ogg == nil && v.oggPath != "" && !v.finished {
			if v.ogg, err = createOggOpus(v.oggPath, 2); err != nil {
				v.writeErrors = append(v.writeErrors, err.Error())
				v.oggPath = ""
			}
		}
		if v.ogg != nil && !v.finished && len(packet.Payload) > 0 {
			if err = v.ogg.write(packet.Payload, samples); err != nil && len(v.writeErrors) < 5 {
				v.writeErrors = append(v.writeErrors, err.Error())
			}
		}
		v.checkEnough()
		v.mu.Unlock()
	}
}

// checkEnough (with mu held) ends the watch once the wanted frames and packets are in.
func (v *viewer) checkEnough() {
	if v.frames >= v.wantVideo && v.packets["audio"] >= v.wantAudio {
		select {
		case v.enough <- "enough":
		default:
		}
	}
}

func (v *viewer) note(message string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.writeErrors = append(v.writeErrors, message)
}

// report closes the files and says what arrived.
func (v *viewer) report(why string, err error) map[string]interface{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.finished = true
	files := map[string]interface{}{}
	if v.ivf != nil {
		if closeErr := v.ivf.close(); closeErr != nil {
			v.writeErrors = append(v.writeErrors, closeErr.Error())
		}
		files["ivf"], files["ivf_frames"] = v.ivfPath, v.ivf.frames
	}
	if v.ogg != nil {
		if closeErr := v.ogg.close(); closeErr != nil {
			v.writeErrors = append(v.writeErrors, closeErr.Error())
		}
		files["ogg"], files["ogg_packets"] = v.oggPath, v.ogg.packets
	}
	result := v.s.report(err)
	result["why"] = why
	result["received"] = map[string]interface{}{"packets": v.packets, "bytes": v.bytes, "sequence_gaps": v.sequenceGaps}
	result["tracks"] = v.tracks
	result["vp8"] = map[string]interface{}{"frames": v.frames, "keyframes": v.keyframes, "hidden": v.hidden,
		"bad": v.badFrames, "bad_reasons": v.badReasons, "dropped_packets": v.droppedPackets, "sizes": v.sizes,
		"first_keyframe_ms": v.firstKeyframeMs, "plis_sent": v.plisSent}
	result["files"] = files
	result["problems"] = append([]string{}, v.writeErrors...)
	return result
}
