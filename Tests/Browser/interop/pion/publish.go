package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

// publishCounts is what the publisher sent and what the relay asked of it over RTCP.
type publishCounts struct {
	videoFrames, keyframes, audioPackets int64
	pli, fir, nack, receiverReports      int64
}

// publish sends the IVF's VP8 frames and the Ogg's Opus packets, each looped, until done says stop.
func publish(endpoint, token, ivfPath, oggPath string, done <-chan string) map[string]interface{} {
	s, err := newSession(endpoint, token)
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	counts := &publishCounts{}
	why, err := runPublisher(s, ivfPath, oggPath, counts, done)
	s.leave()
	result := s.report(err)
	result["why"] = why
	result["sent"] = map[string]int64{"video_frames": atomic.LoadInt64(&counts.videoFrames),
		"keyframes": atomic.LoadInt64(&counts.keyframes), "audio_packets": atomic.LoadInt64(&counts.audioPackets)}
	result["rtcp"] = map[string]int64{"pli": atomic.LoadInt64(&counts.pli), "fir": atomic.LoadInt64(&counts.fir),
		"nack": atomic.LoadInt64(&counts.nack), "receiver_reports": atomic.LoadInt64(&counts.receiverReports)}
	return result
}

func runPublisher(s *session, ivfPath, oggPath string, counts *publishCounts, done <-chan string) (string, error) {
	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
	if err != nil {
		return "error", err
	}
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "pion")
	if err != nil {
		return "error", err
	}
	// A WHIP publisher only sends: sendonly transceivers, audio first as browsers order them.
	for _, track := range []*webrtc.TrackLocalStaticSample{audio, video} {
		transceiver, err := s.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return "error", err
		}
		go readFeedback(transceiver.Sender(), counts)
	}
	if err = s.negotiate(); err != nil {
		return "error", err
	}
	if err = s.waitConnected(done, 20*time.Second); err != nil {
		return "error", err
	}

	stop := make(chan struct{})
	failures := make(chan error, 2)
	var senders sync.WaitGroup
	senders.Add(2)
	go func() { defer senders.Done(); failures <- sendVideo(video, ivfPath, counts, stop) }()
	go func() { defer senders.Done(); failures <- sendAudio(audio, oggPath, counts, stop) }()
	var why string
	select {
	case why = <-done:
	case err = <-failures:
		why = "error"
	}
	close(stop)
	senders.Wait()
	return why, err
}

// readFeedback counts the relay's RTCP to this publisher: keyframe requests it forwards from viewers.
func readFeedback(sender *webrtc.RTPSender, counts *publishCounts) {
	for {
		packets, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, packet := range packets {
			switch packet.(type) {
			case *rtcp.PictureLossIndication:
				atomic.AddInt64(&counts.pli, 1)
			case *rtcp.FullIntraRequest:
				atomic.AddInt64(&counts.fir, 1)
			case *rtcp.TransportLayerNack:
				atomic.AddInt64(&counts.nack, 1)
			case *rtcp.ReceiverReport:
				atomic.AddInt64(&counts.receiverReports, 1)
			}
		}
	}
}

// sendVideo paces the IVF's frames at its frame rate, starting over at its end (its first frame is a keyframe).
func sendVideo(track *webrtc.TrackLocalStaticSample, path string, counts *publishCounts, stop <-chan struct{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for {
		reader, header, err := ivfreader.NewWith(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if header.TimebaseDenominator == 0 {
			return fmt.Errorf("%s: time base denominator is 0", path)
		}
		// The IVF time base is the frame period (PyAV and ffmpeg write 1/fps).
		period := time.Duration(float64(header.TimebaseNumerator) / float64(header.TimebaseDenominator) * float64(time.Second))
		if period <= 0 || period > time.Second {
			return fmt.Errorf("%s: frame period %s", path, period)
		}
		ticker := time.NewTicker(period)
		for {
			frame, _, err := reader.ParseNextFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				ticker.Stop()
				return fmt.Errorf("%s: %w", path, err)
			}
			select {
			case <-stop:
				ticker.Stop()
				return nil
			case <-ticker.C:
			}
			if err = track.WriteSample(media.Sample{Data: frame, Duration: period}); err != nil {
				ticker.Stop()
				return err
			}
			atomic.AddInt64(&counts.videoFrames, 1)
			if len(frame) > 0 && frame[0]&1 == 0 {
				atomic.AddInt64(&counts.keyframes, 1)
			}
		}
		ticker.Stop()
	}
}

// sendAudio sends the Ogg's pages every 20 ms, looping; the granule positions prove each page is one 20 ms packet.
func sendAudio(track *webrtc.TrackLocalStaticSample, path string, counts *publishCounts, stop <-chan struct{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const period = 20 * time.Millisecond
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		reader, head, err := oggreader.NewWith(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		// Granule positions count 48 kHz samples; the first page's also counts the pre-skip.
		granule, allowance := uint64(0), uint64(960)+uint64(head.PreSkip)
		for {
			page, header, err := reader.ParseNextPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if bytes.HasPrefix(page, []byte("OpusTags")) {
				continue // the comment header is not audio
			}
			if header.GranulePosition < granule || header.GranulePosition-granule > allowance {
				// More than one 20 ms packet in a page would go out as one garbled packet.
				return fmt.Errorf("%s: a page holds %d samples, not one 20 ms packet (mux with page_duration=20000)",
					path, int64(header.GranulePosition)-int64(granule))
			}
			granule, allowance = header.GranulePosition, 960
			select {
			case <-stop:
				return nil
			case <-ticker.C:
			}
			if err = track.WriteSample(media.Sample{Data: page, Duration: period}); err != nil {
				return err
			}
			atomic.AddInt64(&counts.audioPackets, 1)
		}
	}
}
