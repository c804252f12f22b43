#!/usr/bin/env python3
"""Captures SDP from aiortc (an independent, pure-Python WebRTC stack) into Tests/SDPTests/Fixtures/.

- aiortc-offer.sdp: an offer with one audio and one video track, after ICE gathering.
- aiortc-answer.sdp: aiortc's answer to the committed chromium-sendrecv-offer.sdp.

No ICE servers are configured, so only host candidates appear and nothing leaves the machine.
Needs: `pip install aiortc`.
"""
import asyncio
import pathlib
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

FIXTURES = pathlib.Path(__file__).resolve().parent.parent.parent / "Tests" / "SDPTests" / "Fixtures"


def write(name: str, sdp: str) -> None:
    with open(FIXTURES / name, "w", newline="", encoding="utf-8") as f:
        f.write(sdp)
    print(f"wrote {name} ({len(sdp)} bytes)")


async def main() -> int:
    config = RTCConfiguration(iceServers=[])

    offerer = RTCPeerConnection(config)
    offerer.addTrack(AudioStreamTrack())
    offerer.addTrack(VideoStreamTrack())
    # aiortc completes ICE gathering inside setLocalDescription, so candidates are in the SDP.
    await offerer.setLocalDescription(await offerer.createOffer())
    write("aiortc-offer.sdp", offerer.localDescription.sdp)
    await offerer.close()

    chromium_offer = (FIXTURES / "chromium-sendrecv-offer.sdp").read_bytes().decode("utf-8")
    answerer = RTCPeerConnection(config)
    answerer.addTrack(AudioStreamTrack())
    answerer.addTrack(VideoStreamTrack())
    await answerer.setRemoteDescription(RTCSessionDescription(sdp=chromium_offer, type="offer"))
    await answerer.setLocalDescription(await answerer.createAnswer())
    write("aiortc-answer.sdp", answerer.localDescription.sdp)
    await answerer.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
