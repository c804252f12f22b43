"""Pre-encoded media for Pion to send, and decoding what Pion received, with PyAV (libvpx, libopus).

Pion does not encode, so its publisher sends files: VP8 in IVF and Opus in Ogg, made here at test
time. What its viewer wrote is decoded here too, and checked like aiortc's viewer checks its frames:
the pictures have the expected size and move, and the sound is the expected tone.
"""
import fractions
import math

import av
import numpy

from interop.aiortc_peers import SAMPLE_RATE, dominant_frequency

FPS = 30


def texture(size):
    """Coarse random blocks: enough detail that a keyframe spans a dozen or so RTP packets."""
    width, height = size
    blocks = numpy.random.default_rng(7).integers(0, 128, (height // 8 + 1, width // 8 + 1, 3), dtype=numpy.uint8)
    return numpy.ascontiguousarray(blocks.repeat(8, axis=0).repeat(8, axis=1)[:height, :width])


def picture(background, index):
    """The texture with a band that moves every frame."""
    image = background.copy()
    image[:, (index * 8) % image.shape[1]:, 1] = 200
    return image


def write_vp8_ivf(path, seconds=3, size=(640, 360)):
    """`seconds` of moving 640x360 VP8 at 30 fps, a keyframe each second (Pion cannot make one on a PLI)."""
    with av.open(str(path), "w", format="ivf") as out:
        stream = out.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.bit_rate = 1_000_000
        stream.gop_size = FPS
        # Real-time settings, as a WebRTC encoder uses: no look-ahead and no hidden alt-ref frames.
        stream.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "auto-alt-ref": "0"}
        background = texture(size)
        for index in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(picture(background, index), format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        assert stream.time_base == fractions.Fraction(1, FPS), stream.time_base  # pionclient paces by it
    return path


def write_opus_ogg(path, seconds=3, frequency=440.0):
    """A stereo sine in 20 ms Opus packets, one per Ogg page (pionclient sends a page as a packet)."""
    with av.open(str(path), "w", format="ogg", options={"page_duration": "20000"}) as out:
        stream = out.add_stream("libopus", rate=SAMPLE_RATE, layout="stereo")
        stream.bit_rate = 64000
        stream.options = {"application": "audio", "frame_duration": "20"}
        for sent in range(0, int(seconds * SAMPLE_RATE), 960):
            t = (numpy.arange(960) + sent) / SAMPLE_RATE
            mono = (0.3 * 32767 * numpy.sin(2 * math.pi * frequency * t)).astype(numpy.int16)
            frame = av.AudioFrame.from_ndarray(numpy.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, sent, fractions.Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def decode_ivf(path):
    """libvpx's view of the frames Pion wrote: how many decoded, their sizes, how many moved."""
    decoded, sizes, changed, errors, previous = 0, set(), 0, [], None
    with av.open(str(path)) as container:
        for packet in container.demux(video=0):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as error:
                errors.append(str(error))
                continue
            for frame in frames:
                decoded += 1
                sizes.add((frame.width, frame.height))
                gray = frame.to_ndarray(format="gray")[::8, ::8].astype(numpy.float32)
                if previous is not None and previous.shape == gray.shape and float(numpy.abs(gray - previous).mean()) > 0.2:
                    changed += 1
                previous = gray
    return {"decoded": decoded, "sizes": sorted(sizes), "changed_pictures": changed, "errors": errors[:5]}


def decode_ogg(path):
    """libopus's view of the packets Pion wrote: decoded samples, loudness and pitch of channel 0."""
    chunks, rates, errors = [], set(), []
    with av.open(str(path)) as container:
        for packet in container.demux(audio=0):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as error:
                errors.append(str(error))
                continue
            for frame in frames:
                rates.add(frame.sample_rate)
                data = frame.to_ndarray()
                channels = len(frame.layout.channels)
                samples = data.reshape(-1)[::channels] if frame.format.is_packed else data[0]
                scale = 32768.0 if samples.dtype == numpy.int16 else 1.0
                chunks.append(samples.astype(numpy.float64) / scale)
    audio = numpy.concatenate(chunks[25:]) if len(chunks) > 25 else numpy.zeros(0)  # past the first 0.5 s
    return {
        "decoded": len(chunks), "rates": sorted(rates), "errors": errors[:5],
        "rms": round(float(numpy.sqrt(numpy.mean(audio ** 2))), 4) if len(audio) else 0.0,
        "hz": round(dominant_frequency(audio[:SAMPLE_RATE]), 1) if len(audio) >= 4800 else None,
    }
