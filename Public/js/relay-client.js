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
    pc.addEventListener("iceconnectionstatechange", () => {
      if (pc.iceConnectionState === "failed") this.restartIce().catch(() => {});
    });
  }

  /**
   * Restarts ICE on the same session (RFC 9725 §4.3), for a network change (Wi-Fi to cellular): a new
   * offer with fresh ICE credentials, sent as an SDP fragment by PATCH; the relay answers with its own.
   * DTLS, SRTP and the place in the room carry on. Called by itself when ICE fails.
   */
  async restartIce() {
    const offer = await this.pc.createOffer({ iceRestart: true });
    await this.pc.setLocalDescription(offer);
    const ufrag = /a=ice-ufrag:(\S+)/.exec(offer.sdp)[1];
    const pwd = /a=ice-pwd:(\S+)/.exec(offer.sdp)[1];
    const response = await fetch(this.location, {
      method: "PATCH",
      headers: {
        "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": "*", Authorization: `Bearer ${this.token}`,
      },
      body: `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n`,
    });
    if (response.status !== 200) throw new Error(`ICE restart refused: ${response.status}`);
    const fragment = await response.text();
    const remoteUfrag = /a=ice-ufrag:(\S+)/.exec(fragment)[1];
    const remotePwd = /a=ice-pwd:(\S+)/.exec(fragment)[1];
    const answer = this.pc.remoteDescription.sdp
      .replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${remoteUfrag}`)
      .replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${remotePwd}`);
    await this.pc.setRemoteDescription({ type: "answer", sdp: answer });
    this.etag = response.headers.get("ETag");
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
 * Three simulcast layers (quarter, half, full resolution; RFC 8853 rids q, h, f), lowest first, so the relay
 * can send each viewer the one its link and its tile allow. A camera under 640 wide gets fewer layers
 * (a layer under 160 wide is useless).
 */
export function simulcastEncodings(track) {
  const width = track.getSettings().width || 640;
  const layers = [
    { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
    { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
  ];
  return layers.filter((layer) => width / layer.scaleResolutionDownBy >= 160);
}

const PEER_CONFIGURATION = { bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" };

/**
 * The group room over one WebSocket (`/ws/rooms/{roomId}?token=…`, protocol v2): at most two peer
 * connections, however many publish. On the publish connection you offer (`publish(stream)` sends your
 * microphone and camera; `shareScreen()` / `stopScreenShare()` renegotiate it); on the subscribe
 * connection the relay offers everyone else's tracks and offers again as they come and go (this client
 * only answers, one offer at a time).
 * `restartIce()` restarts ICE on both after a network change (and runs by itself when ICE fails).
 * Callbacks: onParticipants(list), onTrack(userId, source, track), onTrackEnded(userId, source),
 * onDominantSpeaker(userId), onMuted(userId, kind, muted), onSessionEnded(reason), onError(error message).
 * `source` is "microphone", "camera" or "screen".
 */
export class Room {
  constructor(baseURL, roomId, token, callbacks = {}) {
    const wsURL = baseURL.replace(/^http/, "ws") + `/ws/rooms/${encodeURIComponent(roomId)}?token=${encodeURIComponent(token)}`;
    this.callbacks = callbacks;
    this.participants = new Map();
    /** The publish connection (you offer) and the subscribe connection (the relay offers). */
    this.publisher = null;
    this.subscriber = null;
    /** What each of your publish transceivers sends: "microphone", "camera" or "screen". */
    this.sendSources = new Map();
    this.screen = null;
    /** mid on the subscribe connection → { userId, kind, source, track }, from the relay's latest offer. */
    this.remote = new Map();
    this.dominantSpeaker = null;
    this.pending = [];
    // One negotiation at a time on each connection.
    this.publishing = Promise.resolve();
    this.offers = Promise.resolve();
    this.resubscribes = 0;
    this.socket = new WebSocket(wsURL);
    this.ready = new Promise((resolve, reject) => {
      this.socket.onerror = () => reject(new Error("room connection failed"));
      this.resolveWelcome = resolve;
    });
    this.socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    this.socket.onclose = () => this.closeConnections(new Error("the room connection closed"));
  }

  send(message) { if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message)); }

  /** Waits for the server's answer to a publish. */
  awaitAnswer(predicate) {
    return new Promise((resolve, reject) => this.pending.push({ predicate, resolve, reject }));
  }

  /** The live peer connections: one or two, whatever the room's size. */
  peerConnections() {
    return [this.publisher, this.subscriber].filter((pc) => pc && pc.signalingState !== "closed");
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.me = message.you;
        for (const p of message.participants) this.participants.set(p.userId, p);
        this.dominantSpeaker = message.dominantSpeaker ?? null;
        this.resolveWelcome(message);
        this.send({ type: "subscribe" });
        if (this.dominantSpeaker && this.callbacks.onDominantSpeaker) this.callbacks.onDominantSpeaker(this.dominantSpeaker);
        break;
      case "participant-joined":
        this.participants.set(message.participant.userId, message.participant);
        break;
      case "participant-left":
        this.participants.delete(message.userId);
        break;
      case "published":
      case "unpublished": {
        const p = this.participants.get(message.userId);
        if (p) { p.publishing = message.kinds; p.sources = message.sources || []; }
        break;
      }
      case "offer":
        this.offers = this.offers.then(() => this.applyOffer(message)).catch((error) => this.offerFailed(error));
        break;
      case "dominant-speaker":
        this.dominantSpeaker = message.userId;
        if (this.callbacks.onDominantSpeaker) this.callbacks.onDominantSpeaker(message.userId);
        break;
      case "muted":
        if (this.participants.has(message.userId)) this.participants.get(message.userId).muted[message.kind] = message.muted;
        if (this.callbacks.onMuted) this.callbacks.onMuted(message.userId, message.kind, message.muted);
        break;
      case "session-ended":
        this.sessionEnded(message.reason);
        break;
      case "layers":
        this.setActiveLayers(message.mid, message.active || {});
        break;
      case "connection-ended":
        this.connectionEnded(message.connection, message.reason);
        break;
      case "answer":
      case "error": {
        // An error names the message it refuses; one about the subscribe side never fails a publish.
        const index = this.pending.findIndex((p) => p.predicate(message));
        const waiter = index >= 0 ? this.pending.splice(index, 1)[0] : (message.for ? null : this.pending.shift());
        if (waiter) message.type === "answer" ? waiter.resolve(message) : waiter.reject(new Error(message.reason));
        else if (message.type === "error" && this.callbacks.onError) this.callbacks.onError(message.reason);
        break;
      }
    }
    if (this.callbacks.onParticipants) this.callbacks.onParticipants([...this.participants.values()]);
  }

  /** The relay's (re)offer on the subscribe connection: answer it, then say which tracks came and went. */
  async applyOffer(message) {
    if (this.closed) return;
    if (!this.subscriber) {
      this.subscriber = new RTCPeerConnection(PEER_CONFIGURATION);
      this.restartWhenFailed(this.subscriber, () => this.restartSubscribeIce());
    }
    const pc = this.subscriber;
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    if (this.subscriber !== pc) return;
    this.send({ type: "answer", sdp: pc.localDescription.sdp });
    this.resubscribes = 0;
    this.updateRemoteTracks(pc, message.tracks || {});
  }

  /** Slots are reused: a mid may carry someone else's track after a re-offer, so compare by mid. */
  updateRemoteTracks(pc, tracks) {
    const transceivers = new Map(pc.getTransceivers().filter((t) => t.mid !== null).map((t) => [t.mid, t]));
    for (const [mid, old] of [...this.remote]) {
      const now = tracks[mid];
      if (now && String(now.userId) === old.userId && now.source === old.source) continue;
      this.remote.delete(mid);
      this.sentSizes?.delete(mid);
      if (this.callbacks.onTrackEnded) this.callbacks.onTrackEnded(old.userId, old.source);
    }
    for (const [mid, info] of Object.entries(tracks)) {
      const transceiver = transceivers.get(mid);
      if (this.remote.has(mid) || !transceiver) continue;
      const entry = { userId: String(info.userId), kind: info.kind, source: info.source, track: transceiver.receiver.track, mid };
      this.remote.set(mid, entry);
      if (this.callbacks.onTrack) this.callbacks.onTrack(entry.userId, entry.source, entry.track);
    }
  }

  /** An offer this browser could not apply leaves the relay waiting for an answer: start the subscribe connection afresh. */
  offerFailed(error) {
    if (this.closed) return;
    if (this.callbacks.onError) this.callbacks.onError(`subscribe connection: ${error.message}`);
    this.dropSubscriber();
    if (this.resubscribes++ < 3) this.send({ type: "subscribe" });
  }

  dropSubscriber() {
    const pc = this.subscriber;
    this.subscriber = null;
    for (const entry of [...this.remote.values()]) if (this.callbacks.onTrackEnded) this.callbacks.onTrackEnded(entry.userId, entry.source);
    this.remote.clear();
    if (pc) pc.close();
  }

  /** What each remote user's tracks delivered so far, from the subscribe connection's getStats(): {userId: {source: figures}}. */
  async receiving() {
    const result = {};
    const pc = this.subscriber;
    if (!pc) return result;
    const byTrack = new Map([...this.remote.values()].map((entry) => [entry.track.id, entry]));
    const report = await pc.getStats();
    report.forEach((stat) => {
      if (stat.type !== "inbound-rtp") return;
      const entry = (stat.mid !== undefined && this.remote.get(stat.mid)) || byTrack.get(stat.trackIdentifier);
      if (!entry) return;
      const user = result[entry.userId] || (result[entry.userId] = {});
      user[entry.source] = {
        kind: stat.kind, packetsReceived: stat.packetsReceived || 0, packetsLost: stat.packetsLost || 0,
        framesDecoded: stat.framesDecoded || 0, frameWidth: stat.frameWidth, totalAudioEnergy: stat.totalAudioEnergy || 0,
        audioLevel: stat.audioLevel || 0,
      };
    });
    return result;
  }

  publishConnection() {
    if (!this.publisher) {
      this.publisher = new RTCPeerConnection(PEER_CONFIGURATION);
      this.restartWhenFailed(this.publisher, () => this.restartPublishIce());
    }
    return this.publisher;
  }

  /** A connection whose ICE failed (the network changed under it) restarts by itself, once per failure. */
  restartWhenFailed(pc, restart) {
    pc.addEventListener("iceconnectionstatechange", () => {
      if (pc.iceConnectionState === "failed" && !this.closed) restart().catch(() => {});
    });
  }

  /**
   * Restarts ICE on both connections, keeping them and your place in the room (Wi-Fi to cellular): the
   * publish connection offers again with new credentials, and the relay re-offers the subscribe connection.
   */
  async restartIce() {
    await this.ready;
    this.restartSubscribeIce();
    if (this.publisher && this.publisher.signalingState !== "closed") await this.restartPublishIce();
  }

  restartPublishIce() { return this.negotiatePublish(() => {}, { iceRestart: true }); }

  restartSubscribeIce() {
    if (this.subscriber && this.subscriber.signalingState !== "closed") this.send({ type: "restart-ice" });
    return Promise.resolve();
  }

  /** Runs `change` on the publish connection, then offers it (the first offer joins, later ones renegotiate). */
  negotiatePublish(change, offerOptions = {}) {
    const run = async () => {
      change();
      const pc = this.publisher;
      await pc.setLocalDescription(await pc.createOffer(offerOptions));
      const sources = {};
      for (const transceiver of pc.getTransceivers()) {
        const source = this.sendSources.get(transceiver);
        if (source && transceiver.mid !== null && transceiver.direction !== "stopped") sources[transceiver.mid] = source;
      }
      const answer = this.awaitAnswer((m) => m.for === "publish");
      this.send({ type: "publish", sdp: pc.localDescription.sdp, sources });
      try {
        await pc.setRemoteDescription({ type: "answer", sdp: (await answer).sdp });
      } catch (error) {
        // Refused: back to the last agreed state, so the connection can be offered again.
        if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" }).catch(() => {});
        throw error;
      }
      return pc;
    };
    const result = this.publishing.then(run, run);
    this.publishing = result.catch(() => {});
    return result;
  }

  /** Publishes your microphone and camera; returns the publish connection. */
  async publish(stream, { simulcast = false } = {}) {
    await this.ready;
    this.localStream = stream;
    return this.negotiatePublish(() => {
      const pc = this.publishConnection();
      for (const track of stream.getTracks()) {
        const init = { direction: "sendonly", streams: [stream] };
        if (track.kind === "video" && simulcast) init.sendEncodings = simulcastEncodings(track);
        const transceiver = pc.addTransceiver(track, init);
        this.sendSources.set(transceiver, track.kind === "audio" ? "microphone" : "camera");
      }
    });
  }

  /** Shares your screen (or `track`, any video track) on the publish connection; resolves to the shared track. */
  async shareScreen(track) {
    await this.ready;
    if (this.screen) return this.screen.track;
    let stream;
    if (track) stream = new MediaStream([track]);
    else {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      track = stream.getVideoTracks()[0];
    }
    const screen = { track, stream, transceiver: null };
    this.screen = screen;
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener("ended", () => { if (this.screen === screen) this.stopScreenShare(); });
    try {
      await this.negotiatePublish(() => {
        screen.transceiver = this.publishConnection().addTransceiver(track, { direction: "sendonly", streams: [stream] });
        this.sendSources.set(screen.transceiver, "screen");
      });
    } catch (error) {
      if (this.screen === screen) this.screen = null;
      track.stop();
      if (screen.transceiver && this.publisher && this.publisher.signalingState !== "closed") {
        this.sendSources.delete(screen.transceiver);
        screen.transceiver.stop();
      }
      throw error;
    }
    return track;
  }

  /** Stops the screen share: its transceiver is stopped and the publish connection renegotiated. */
  async stopScreenShare() {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.track.stop();
    if (!screen.transceiver || !this.publisher || this.publisher.signalingState === "closed") return;
    this.sendSources.delete(screen.transceiver);
    const others = this.publisher.getTransceivers().some((t) => t !== screen.transceiver && this.sendSources.has(t) && t.direction !== "stopped");
    if (!others) { this.unpublish(); return; }
    await this.negotiatePublish(() => screen.transceiver.stop());
  }

  /**
   * The relay ended one of your connections (its ICE consent lapsed: the network went away for longer than
   * a restart could cover). Open it again on a new peer connection: subscribe afresh, or publish the
   * same microphone and camera again (a screen share has to be shared again).
   */
  connectionEnded(connection, reason) {
    if (this.closed) return;
    if (this.callbacks.onError) this.callbacks.onError(`the relay ended the ${connection} connection (${reason})`);
    if (connection === "subscribe") {
      this.dropSubscriber();
      this.send({ type: "subscribe" });
      return;
    }
    if (this.screen) { this.screen.track.stop(); this.screen = null; }
    if (this.publisher) this.publisher.close();
    this.publisher = null;
    this.sendSources.clear();
    const stream = this.localStream;
    if (stream && stream.getTracks().some((track) => track.readyState === "live")) {
      this.publish(stream).catch((error) => { if (this.callbacks.onError) this.callbacks.onError(`publishing again: ${error.message}`); });
    }
  }

  /** Closes the publish connection; the others' subscribe connections drop your tracks. */
  unpublish() {
    this.send({ type: "unpublish" });
    if (this.screen) { this.screen.track.stop(); this.screen = null; }
    if (this.publisher) this.publisher.close();
    this.publisher = null;
    this.sendSources.clear();
  }

  /**
   * Tells the relay how large each remote video is shown, in device pixels (`sizes`: Map of track →
   * {width, height}; a remote video track missing from it is not shown: 0×0). The relay then sends each
   * the simulcast layer that fits, and nothing for a hidden one. Only changes are sent, at most every
   * 250 ms; until the first call the relay sends its best layer.
   */
  setVideoSizes(sizes) {
    const wanted = {};
    for (const [mid, entry] of this.remote) {
      if (entry.kind !== "video") continue;
      const size = sizes.get(entry.track) || { width: 0, height: 0 };
      const width = Math.max(0, Math.min(16384, Math.round(size.width)));
      const height = Math.max(0, Math.min(16384, Math.round(size.height)));
      const last = this.sentSizes?.get(mid);
      if (!last || last.width !== width || last.height !== height) wanted[mid] = { width, height };
    }
    this.pendingSizes = Object.assign(this.pendingSizes || {}, wanted);
    if (this.sizeTimer || Object.keys(this.pendingSizes).length === 0) return;
    const flush = () => {
      this.sizeTimer = null;
      const batch = this.pendingSizes;
      this.pendingSizes = {};
      if (Object.keys(batch).length === 0) return;
      this.sentSizes = this.sentSizes || new Map();
      for (const [mid, size] of Object.entries(batch)) this.sentSizes.set(mid, size);
      this.send({ type: "video-sizes", sizes: batch });
      this.sizeTimer = setTimeout(() => { this.sizeTimer = null; if (Object.keys(this.pendingSizes).length) flush(); }, 250);
    };
    flush();
  }

  /** The relay's dynacast: pause the simulcast layers nobody watches, resume them when someone does. */
  async setActiveLayers(mid, active) {
    const pc = this.publisher;
    const transceiver = pc && pc.getTransceivers().find((t) => t.mid === mid);
    if (!transceiver || !transceiver.sender.track) return;
    const parameters = transceiver.sender.getParameters();
    if (!parameters.encodings || parameters.encodings.length < 2) return;
    let changed = false;
    for (const encoding of parameters.encodings) {
      const on = active[encoding.rid];
      if (typeof on === "boolean" && encoding.active !== on) { encoding.active = on; changed = true; }
    }
    if (changed) await transceiver.sender.setParameters(parameters).catch(() => {});
  }

  /** Mutes or unmutes your own audio or video and tells the room. */
  setMuted(kind, muted) {
    if (this.localStream) for (const track of this.localStream.getTracks()) if (track.kind === kind) track.enabled = !muted;
    this.send({ type: "mute", kind, muted });
  }

  /** Closes both peer connections (the relay ends them with the socket anyway) and fails what waits. */
  closeConnections(error) {
    if (this.closed) return;
    this.closed = true;
    this.dropSubscriber();
    if (this.screen) { this.screen.track.stop(); this.screen = null; }
    if (this.publisher) this.publisher.close();
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }

  /** The session was completed or cancelled: tell the page, then close every peer connection (the server closes the socket, code 4410). */
  sessionEnded(reason) {
    this.ended = reason;
    if (this.callbacks.onSessionEnded) this.callbacks.onSessionEnded(reason);
    this.closeConnections(new Error("the session ended"));
  }

  leave() {
    this.send({ type: "leave" });
    this.closeConnections(new Error("left the room"));
    this.socket.close();
  }
}
