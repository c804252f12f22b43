// A minimal Janus VideoRoom client over Janus's HTTP API, for scripts/compare-janus-simulcast: the same
// publisher (fake camera, three simulcast encodings) and watchers the impairment tests run against our
// relay, so one sampler measures both servers. It defines `window.janusRoom`; the page's stats helper
// (conftest_impairment's `window.impair.stats`) reads `window.published` / `window.watched`, set here.
//
// Janus leaves the choice of substream to the application: it forwards `substream` 2 unless told
// otherwise, and reports a subscriber's losses as `slow_link` events. The watchers count those events;
// with `policy: "slowlink"` they also act on them the way a Janus application would (one substream down
// per event, one up after `upAfterMs` without one), which is the adaptation Janus's design expects.
(() => {
  const transaction = () => Math.random().toString(36).slice(2, 14);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // One session and one VideoRoom handle, with a long-poll loop delivering the handle's events.
  class Handle {
    constructor(base) {
      this.base = base;
      this.events = [];
      this.waiters = [];
      this.listeners = [];
      this.closed = false;
    }

    async post(path, body) {
      const response = await fetch(this.base + path, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({...body, transaction: transaction()})});
      const reply = await response.json();
      if (reply.janus === "error") throw new Error(`Janus: ${JSON.stringify(reply.error)}`);
      return reply;
    }

    static async open(base) {
      const handle = new Handle(base);
      handle.session = (await handle.post("", {janus: "create"})).data.id;
      handle.id = (await handle.post(`/${handle.session}`, {janus: "attach", plugin: "janus.plugin.videoroom"})).data.id;
      handle.poll();
      return handle;
    }

    async poll() {
      while (!this.closed) {
        let batch;
        try {
          const response = await fetch(`${this.base}/${this.session}?rid=${Date.now()}&maxev=10`);
          batch = await response.json();
        } catch (error) {
          await sleep(200);
          continue;
        }
        for (const event of [].concat(batch)) {
          if (event.janus === "keepalive") continue;
          this.events.push(event);
          for (const listener of this.listeners) listener(event);
          this.waiters = this.waiters.filter(({predicate, resolve}) => {
            if (!predicate(event)) return true;
            resolve(event);
            return false;
          });
        }
      }
    }

    // The first event, already seen or still to come, that `predicate` accepts.
    wait(predicate, timeoutMs = 15000) {
      const seen = this.events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {predicate, resolve};
        this.waiters.push(waiter);
        setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`no matching Janus event in ${timeoutMs} ms; got ${JSON.stringify(this.events.slice(-5))}`));
        }, timeoutMs);
      });
    }

    // A VideoRoom request; resolves with the plugin's answer (synchronous) or its event (asynchronous).
    async message(body, jsep, expect) {
      const reply = await this.post(`/${this.session}/${this.id}`, {janus: "message", body, ...(jsep ? {jsep} : {})});
      if (reply.janus === "success") return reply;
      return this.wait((event) => {
        if (event.sender !== this.id || event.janus !== "event") return false;
        const data = event.plugindata?.data ?? {};
        return data.error_code !== undefined || !expect || expect(data);
      });
    }
  }

  function pluginData(event) {
    const data = event.plugindata?.data ?? {};
    if (data.error_code !== undefined) throw new Error(`VideoRoom ${data.error_code}: ${data.error}`);
    return data;
  }

  // Candidates in the SDP (Janus's handles here are not trickled).
  function gathered(pc, timeoutMs = 3000) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, timeoutMs);
    });
  }

  window.janusRoom = {
    // Creates `room` (VP8 video, Opus audio, no REMB cap) and publishes the fake camera into it with
    // rids q/h/f at 1/4, 1/2 and full size; resolves with the publisher's feed id once Janus's PeerConnection is up.
    async publish(base, room, {width = 1280, height = 720, maxKbps = 1500} = {}) {
      const handle = await Handle.open(base);
      const created = await handle.message({request: "create", room, publishers: 4, videocodec: "vp8",
        audiocodec: "opus", bitrate: 0, permanent: false, description: "compare-janus-simulcast"});
      const createdData = created.plugindata?.data ?? {};
      if (createdData.error_code !== undefined && createdData.error_code !== 427) {  // 427: the room exists
        throw new Error(`create: ${JSON.stringify(createdData)}`);
      }
      const joined = pluginData(await handle.message({request: "join", ptype: "publisher", room, display: "publisher"},
        null, (data) => data.videoroom === "joined"));
      const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width, height, frameRate: 30}});
      const pc = new RTCPeerConnection({bundlePolicy: "max-bundle", rtcpMuxPolicy: "require"});
      const [audio] = stream.getAudioTracks(), [video] = stream.getVideoTracks();
      pc.addTransceiver(audio, {direction: "sendonly", streams: [stream]});
      pc.addTransceiver(video, {direction: "sendonly", streams: [stream], sendEncodings: [
        {rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000},
        {rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000},
        {rid: "f", scaleResolutionDownBy: 1, maxBitrate: maxKbps * 1000}]});
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      // The rids go from the lowest layer up (our relay's order); Janus assumes highest first (janus.js's
      // h/m/l) unless told, and would otherwise forward the quarter-size layer as "substream 2".
      const configured = await handle.message({request: "publish"},
        {type: "offer", sdp: pc.localDescription.sdp, trickle: false, rid_order: "lmh"}, (data) => data.configured === "ok");
      pluginData(configured);
      await pc.setRemoteDescription(configured.jsep);
      await handle.wait((event) => event.sender === handle.id && event.janus === "webrtcup");
      window.published = {pc, handle, answer: configured.jsep.sdp};
      return {feed: joined.id, answer: configured.jsep.sdp};
    },

    // Subscribes to `feed` and answers Janus's offer; counts `slow_link` events and, with
    // policy "slowlink", moves between substreams on them.
    async watch(base, room, feed, {policy = "none", upAfterMs = 5000} = {}) {
      const handle = await Handle.open(base);
      let attached;
      for (let attempt = 0; ; attempt++) {
        attached = await handle.message({request: "join", ptype: "subscriber", room, streams: [{feed}]},
          null, (data) => data.videoroom === "attached");
        const data = attached.plugindata?.data ?? {};
        if (data.error_code === undefined || attempt >= 20) break;
        await sleep(250);  // "No such feed" until the publisher's media is up
        handle.events = [];
      }
      pluginData(attached);
      const pc = new RTCPeerConnection({bundlePolicy: "max-bundle", rtcpMuxPolicy: "require"});
      await pc.setRemoteDescription(attached.jsep);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      pluginData(await handle.message({request: "start", room}, {type: "answer", sdp: pc.localDescription.sdp},
        (data) => data.started === "ok"));
      const videoMid = (attached.plugindata.data.streams || []).find((s) => s.type === "video")?.mid ?? "1";
      const state = {pc, handle, slowLinks: 0, slowLinkLost: 0, substream: 2, configures: []};
      let lastSlow = 0;
      const configure = async (substream) => {
        state.substream = substream;
        state.configures.push({at: performance.now(), substream});
        try {
          await handle.message({request: "configure", streams: [{mid: videoMid, substream}]}, null,
            (data) => data.configured === "ok");
        } catch (error) {
          state.configureErrors = (state.configureErrors || 0) + 1;
        }
      };
      handle.listeners.push((event) => {
        if (event.sender !== handle.id) return;
        const isCore = event.janus === "slowlink";
        const isPlugin = event.janus === "event" && event.plugindata?.data?.videoroom === "slow_link";
        if (!isCore && !isPlugin) return;
        if (isCore) { state.slowLinks++; state.slowLinkLost += event.lost || 0; }
        if (policy === "slowlink" && isCore) {
          lastSlow = performance.now();
          if (state.substream > 0) configure(state.substream - 1);
        }
      });
      if (policy === "slowlink") {
        state.timer = setInterval(() => {
          if (state.substream < 2 && performance.now() - lastSlow >= upAfterMs &&
              (state.configures.length === 0 || performance.now() - state.configures.at(-1).at >= upAfterMs)) {
            configure(state.substream + 1);
          }
        }, 250);
      }
      window.watched = state;
      return {answer: pc.localDescription.sdp, videoMid};
    },

    // What Janus's side told this watcher so far.
    watcherState() {
      const state = window.watched;
      return {slowLinks: state.slowLinks, slowLinkLost: state.slowLinkLost, substream: state.substream,
        configures: state.configures.length};
    },
  };
})();
