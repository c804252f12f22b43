"""Pion (Go, Debian's golang-github-pion-webrtc.v3-dev) as a WHIP publisher and a WHEP viewer."""
