// Command pionclient is Pion (Debian's golang-github-pion-webrtc.v3-dev) as a WHIP publisher or a WHEP
// viewer, for the relay's interop tests (Tests/Browser/test_interop_pion.py).
//
//	pionclient publish URL TOKEN -ivf video.ivf -ogg audio.ogg -seconds 20
//	pionclient watch URL TOKEN -ivf out.ivf -ogg out.ogg -seconds 20 -video 60 -audio 100
//
// Pion does not encode: a publisher sends pre-encoded VP8 (IVF) and Opus (Ogg) frames, looping the
// files; a viewer reassembles VP8 frames with Pion's samplebuilder, checks each frame's header and
// writes the frames (from the first keyframe) and the Opus packets to files that the test decodes.
//
// It prints one JSON object per line: events while it runs ("answered", "state") and a final
// "result". SIGTERM or SIGINT ends it early; either way it leaves with DELETE before reporting.
// Build it with ./build (GOPATH mode against Debian's /usr/share/gocode; no module downloads).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

var stdout sync.Mutex

// emit prints one event as a JSON line.
func emit(event string, fields map[string]interface{}) {
	line := map[string]interface{}{"event": event}
	for key, value := range fields {
		line[key] = value
	}
	encoded, err := json.Marshal(line)
	if err != nil {
		encoded = []byte(fmt.Sprintf(`{"event":"output","line":%q}`, err.Error()))
	}
	stdout.Lock()
	defer stdout.Unlock()
	os.Stdout.Write(append(encoded, '\n'))
}

func main() {
	if len(os.Args) < 4 || (os.Args[1] != "publish" && os.Args[1] != "watch") {
		fmt.Fprintln(os.Stderr, "usage: pionclient publish|watch URL TOKEN [flags]")
		os.Exit(2)
	}
	mode, url, token := os.Args[1], os.Args[2], os.Args[3]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	ivf := flags.String("ivf", "", "publish: VP8 frames to send; watch: where to write the received ones")
	ogg := flags.String("ogg", "", "publish: Opus packets to send; watch: where to write the received ones")
	seconds := flags.Float64("seconds", 20, "stop after this long")
	video := flags.Int("video", 60, "watch: stop after this many good VP8 frames…")
	audio := flags.Int("audio", 100, "…and this many Opus packets")
	if err := flags.Parse(os.Args[4:]); err != nil {
		os.Exit(2)
	}

	// Ends on the deadline, on a signal, or when the client says it is done.
	done := make(chan string, 4)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-signals; done <- "signal" }()
	go func() { time.Sleep(time.Duration(*seconds * float64(time.Second))); done <- "timeout" }()

	emit("started", map[string]interface{}{"go": runtime.Version()})
	started := time.Now()
	var result map[string]interface{}
	if mode == "publish" {
		result = publish(url, token, *ivf, *ogg, done)
	} else {
		result = watch(url, token, *ivf, *ogg, *video, *audio, done)
	}
	emit("result", result)
	fmt.Fprintf(os.Stderr, "pionclient %s: %.1f s\n", mode, time.Since(started).Seconds())
	if result["error"] != nil {
		os.Exit(1)
	}
}
