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

/**
 * The group room over one WebSocket (`/ws/rooms/{roomId}?token=…`): publish your camera, and the
 * client subscribes to every other publisher automatically, one peer connection each.
 * Callbacks: onParticipants(list), onStream(userId, MediaStream), onStreamEnded(userId), onMuted(userId, kind, muted).
 */
export class Room {
  constructor(baseURL, roomId, token, callbacks = {}) {
    const wsURL = baseURL.replace(/^http/, "ws") + `/ws/rooms/${encodeURIComponent(roomId)}?token=${encodeURIComponent(token)}`;
    this.callbacks = callbacks;
    this.participants = new Map();
    this.subscriptions = new Map();
    this.pending = [];
    this.socket = new WebSocket(wsURL);
    this.ready = new Promise((resolve, reject) => {
      this.socket.onopen = () => {};
      this.socket.onerror = () => reject(new Error("room connection failed"));
      this.resolveWelcome = resolve;
    });
    this.socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    this.socket.onclose = () => { for (const userId of [...this.subscriptions.keys()]) this.dropSubscription(userId); };
  }

  send(message) { this.socket.send(JSON.stringify(message)); }

  /** Waits for the server's answer to a publish/subscribe. */
  awaitAnswer(predicate) {
    return new Promise((resolve, reject) => this.pending.push({ predicate, resolve, reject }));
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.me = message.you;
        for (const p of message.participants) this.participants.set(p.userId, p);
        this.resolveWelcome(message);
        for (const p of message.participants) if (p.publishing.length) this.subscribe(p.userId);
        break;
      case "participant-joined":
        this.participants.set(message.participant.userId, message.participant);
        break;
      case "participant-left":
        this.participants.delete(message.userId);
        this.dropSubscription(message.userId);
        break;
      case "published":
        if (this.participants.has(message.userId)) this.participants.get(message.userId).publishing = message.kinds;
        this.subscribe(message.userId);
        break;
      case "unpublished":
        this.dropSubscription(message.userId);
        break;
      case "muted":
        if (this.participants.has(message.userId)) this.participants.get(message.userId).muted[message.kind] = message.muted;
        if (this.callbacks.onMuted) this.callbacks.onMuted(message.userId, message.kind, message.muted);
        break;
      case "session-ended":
        this.sessionEnded(message.reason);
        break;
      case "answer":
      case "error": {
        const index = this.pending.findIndex((p) => p.predicate(message));
        const waiter = index >= 0 ? this.pending.splice(index, 1)[0] : this.pending.shift();
        if (waiter) message.type === "answer" ? waiter.resolve(message) : waiter.reject(new Error(message.reason));
        break;
      }
    }
    if (this.callbacks.onParticipants) this.callbacks.onParticipants([...this.participants.values()]);
  }

  async publish(stream) {
    await this.ready;
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    const answer = this.awaitAnswer((m) => m.for === "publish");
    this.send({ type: "publish", sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: "answer", sdp: (await answer).sdp });
    this.publisher = pc;
    this.localStream = stream;
    return pc;
  }

  async subscribe(userId) {
    if (this.me && userId === this.me.userId) return;
    this.dropSubscription(userId);
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      if (this.callbacks.onStream) this.callbacks.onStream(userId, stream);
    };
    this.subscriptions.set(userId, pc);
    await pc.setLocalDescription(await pc.createOffer());
    const answer = this.awaitAnswer((m) => m.for === "subscribe" && m.participant === userId);
    this.send({ type: "subscribe", participant: userId, sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: "answer", sdp: (await answer).sdp });
    return pc;
  }

  dropSubscription(userId) {
    const pc = this.subscriptions.get(userId);
    if (!pc) return;
    this.subscriptions.delete(userId);
    pc.close();
    if (this.socket.readyState === WebSocket.OPEN) this.send({ type: "unsubscribe", participant: userId });
    if (this.callbacks.onStreamEnded) this.callbacks.onStreamEnded(userId);
  }

  /** Mutes or unmutes your own audio or video and tells the room. */
  setMuted(kind, muted) {
    if (this.localStream) for (const track of this.localStream.getTracks()) if (track.kind === kind) track.enabled = !muted;
    this.send({ type: "mute", kind, muted });
  }

  /** The session was completed or cancelled: tell the page, then close every peer connection (the server closes the socket, code 4410). */
  sessionEnded(reason) {
    this.ended = reason;
    if (this.callbacks.onSessionEnded) this.callbacks.onSessionEnded(reason);
    for (const userId of [...this.subscriptions.keys()]) this.dropSubscription(userId);
    if (this.publisher) this.publisher.close();
  }

  leave() {
    if (this.socket.readyState === WebSocket.OPEN) this.send({ type: "leave" });
    for (const userId of [...this.subscriptions.keys()]) this.dropSubscription(userId);
    if (this.publisher) this.publisher.close();
    this.socket.close();
  }
}
