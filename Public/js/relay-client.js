// PeerLearn relay client: publish with WHIP (RFC 9725) and watch with WHEP, using only the
// standard WebRTC API. The relay is ice-lite with a complete answer, so no trickle is needed.

/** POSTs an offer and applies the answer; returns the resource URL for DELETE. */
async function exchange(pc, endpoint, token) {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${token}` },
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) {
    let reason = response.statusText;
    try { reason = (await response.json()).reason || reason; } catch (_) { /* not JSON */ }
    const error = new Error(`${response.status}: ${reason}`);
    error.status = response.status;
    throw error;
  }
  const location = new URL(response.headers.get("Location"), endpoint).toString();
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  return location;
}

export class Session {
  constructor(pc, location, token) {
    this.pc = pc;
    this.location = location;
    this.token = token;
  }

  /** Leaves the room: DELETE on the WHIP/WHEP resource, then closes the connection. */
  async close() {
    try {
      await fetch(this.location, { method: "DELETE", headers: { Authorization: `Bearer ${this.token}` } });
    } finally {
      this.pc.close();
    }
  }
}

/** Publishes a MediaStream (camera and/or microphone) into a room. */
export async function publish(baseURL, roomId, token, stream) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
  for (const track of stream.getTracks()) {
    pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
  }
  const location = await exchange(pc, `${baseURL}/whip/${encodeURIComponent(roomId)}`, token);
  return new Session(pc, location, token);
}

/** Watches a participant (default: the host) of a room; `onTrack` gets each remote track. */
export async function watch(baseURL, roomId, token, { participant, onTrack } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  pc.addTransceiver("video", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (event) => {
    stream.addTrack(event.track);
    if (onTrack) onTrack(event.track, stream);
  };
  let endpoint = `${baseURL}/whep/${encodeURIComponent(roomId)}`;
  if (participant) endpoint += `?participant=${encodeURIComponent(participant)}`;
  const location = await exchange(pc, endpoint, token);
  const session = new Session(pc, location, token);
  session.stream = stream;
  return session;
}

/** The figures a quality indicator and the tests need, from getStats(). */
export async function inboundSummary(pc) {
  const summary = { framesDecoded: 0, audioPacketsReceived: 0, videoPacketsReceived: 0, packetsLost: 0, jitter: 0 };
  const report = await pc.getStats();
  report.forEach((stat) => {
    if (stat.type !== "inbound-rtp") return;
    summary.packetsLost += stat.packetsLost || 0;
    summary.jitter = Math.max(summary.jitter, stat.jitter || 0);
    if (stat.kind === "video") {
      summary.framesDecoded += stat.framesDecoded || 0;
      summary.videoPacketsReceived += stat.packetsReceived || 0;
      summary.frameWidth = stat.frameWidth;
    } else if (stat.kind === "audio") {
      summary.audioPacketsReceived += stat.packetsReceived || 0;
    }
  });
  return summary;
}
