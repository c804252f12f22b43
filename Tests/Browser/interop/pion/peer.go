package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
)

// session is one WHIP or WHEP peer connection and what the test wants to know about its signaling.
type session struct {
	pc       *webrtc.PeerConnection
	url      string
	token    string
	location string
	offer    string
	answer   string

	mu     sync.Mutex
	states []string
}

// newSession makes a peer connection the way a Pion application would (default codecs and
// interceptors: NACK, RTCP reports, transport-wide CC), confined to loopback: the relay's tests run
// offline, so there is no STUN, no mDNS, and no candidate on the machine's other interfaces.
func newSession(endpoint, token string) (*session, error) {
	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)

	media := &webrtc.MediaEngine{}
	if err := media.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(media, registry); err != nil {
		return nil, err
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(settings), webrtc.WithMediaEngine(media),
		webrtc.WithInterceptorRegistry(registry))
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, err
	}
	s := &session{pc: pc, url: endpoint, token: token}
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		s.mu.Lock()
		s.states = append(s.states, state.String())
		s.mu.Unlock()
		emit("state", map[string]interface{}{"state": state.String()})
	})
	return s, nil
}

// negotiate is RFC 9725 without trickle: gather every candidate, POST the offer, apply the 201's answer.
func (s *session) negotiate() error {
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(s.pc)
	if err = s.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return errors.New("ICE gathering did not complete in 10 s")
	}
	s.offer = s.pc.LocalDescription().SDP

	request, err := http.NewRequest(http.MethodPost, s.url, strings.NewReader(s.offer))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/sdp")
	request.Header.Set("Authorization", "Bearer "+s.token)
	client := &http.Client{Timeout: 10 * time.Second}
	response, err := client.Do(request)
	if err != nil {
		return fmt.Errorf("POST: %w", err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("POST body: %w", err)
	}
	if response.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %d: %s", response.StatusCode, body)
	}
	base, err := url.Parse(s.url)
	if err != nil {
		return err
	}
	location, err := base.Parse(response.Header.Get("Location"))
	if err != nil || response.Header.Get("Location") == "" {
		return fmt.Errorf("201 without a usable Location: %q", response.Header.Get("Location"))
	}
	s.location = location.String()
	s.answer = string(body)
	if err = s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.answer}); err != nil {
		return fmt.Errorf("set remote description: %w", err)
	}
	emit("answered", map[string]interface{}{"location": s.location})
	return nil
}

// leave deletes the WHIP/WHEP resource (if one was made) and closes the peer connection.
func (s *session) leave() {
	if s.location != "" {
		if request, err := http.NewRequest(http.MethodDelete, s.location, nil); err == nil {
			request.Header.Set("Authorization", "Bearer "+s.token)
			client := &http.Client{Timeout: 5 * time.Second}
			if response, err := client.Do(request); err == nil {
				response.Body.Close()
			}
		}
	}
	s.pc.Close()
}

// report is what every result carries: the SDP both ways, the states seen, and the error if any.
func (s *session) report(err error) map[string]interface{} {
	s.mu.Lock()
	states := append([]string{}, s.states...)
	s.mu.Unlock()
	var message interface{}
	if err != nil {
		message = err.Error()
	}
	return map[string]interface{}{"error": message, "states": states, "offer": s.offer, "answer": s.answer}
}

// waitConnected returns once the peer connection is connected, or an error if it fails first.
func (s *session) waitConnected(done <-chan string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		switch s.pc.ConnectionState() {
		case webrtc.PeerConnectionStateConnected:
			return nil
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			return fmt.Errorf("peer connection %s", s.pc.ConnectionState())
		}
		select {
		case why := <-done:
			return fmt.Errorf("ended (%s) before connecting", why)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("not connected after %s", timeout)
}
