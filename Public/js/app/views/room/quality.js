// The room's quality indicator: every two seconds, one interval's loss ratio and the worst jitter on the
// subscribe connection, from getStats(), as good / fair / poor.
import { inboundSummary } from "../../../relay-client.js";

const STATS_INTERVAL_MS = 2000;

/** Good / fair / poor from one interval's loss ratio and the worst jitter (seconds). */
export function qualityFrom(lossRatio, jitterSeconds) {
  if (lossRatio < 0.02 && jitterSeconds < 0.03) return "good";
  if (lossRatio < 0.08 && jitterSeconds < 0.1) return "fair";
  return "poor";
}

/**
 * Starts polling (the interval goes into `state.timers`). The same poll notices a media connection that
 * failed outright and calls `onFailed` (the page rejoins) instead of measuring it.
 */
export function watchQuality({ state, indicator, text, onFailed }) {
  state.timers.push(setInterval(async () => {
    if (!state.room) return;
    const room = state.room;
    const pc = room.subscriber;
    if (room.publisher?.connectionState === "failed" || pc?.connectionState === "failed") { onFailed("a media connection failed"); return; }
    let summary = null;
    if (pc && room.remote.size > 0) {
      try { summary = await inboundSummary(pc); } catch (_) { /* the connection closed meanwhile */ }
    }
    if (!summary) { indicator.className = "indicator"; text.textContent = "waiting for others"; state.quality = null; return; }
    const before = state.previous.subscriber || { packetsLost: 0, audioPacketsReceived: 0, videoPacketsReceived: 0 };
    const got = summary.audioPacketsReceived + summary.videoPacketsReceived;
    const lost = Math.max(0, summary.packetsLost - before.packetsLost);
    const received = Math.max(0, got - before.audioPacketsReceived - before.videoPacketsReceived);
    state.previous.subscriber = summary;
    state.stats.subscriber = summary;
    const ratio = lost + received > 0 ? lost / (lost + received) : 1;
    state.quality = received === 0 ? "poor" : qualityFrom(ratio, summary.jitter);
    indicator.className = `indicator quality-${state.quality}`;
    text.textContent = `${state.quality} (loss ${(ratio * 100).toFixed(1)}%, jitter ${Math.round(summary.jitter * 1000)} ms)`;
  }, STATS_INTERVAL_MS));
}
