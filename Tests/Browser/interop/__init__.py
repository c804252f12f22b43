"""Helpers for the interop tests: other WebRTC stacks (aiortc, GStreamer, Firefox) as relay clients."""
