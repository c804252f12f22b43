// How large each remote video is shown (the larger of its tile and the stage, in device pixels), so the
// relay sends the simulcast layer that fits and nothing for a video nobody sees.

/**
 * Reports the sizes on resizes, layout changes and every second (cheap: the room only sends what changed).
 * The interval goes into `state.timers`; the returned function stops watching resizes.
 */
export function watchVideoSizes({ state, grid, stageVideo }) {
  function reportVideoSizes() {
    const room = state.room;
    if (!room) return;
    const sizes = new Map();
    for (const video of [...grid.querySelectorAll("video"), stageVideo]) {
      const track = video.srcObject?.getVideoTracks?.()[0];
      if (!track || video.closest("[hidden]") || video.hidden) continue;
      const scale = window.devicePixelRatio || 1;
      const size = { width: video.clientWidth * scale, height: video.clientHeight * scale };
      const known = sizes.get(track);
      if (!known || known.width * known.height < size.width * size.height) sizes.set(track, size);
    }
    room.setVideoSizes(sizes);
  }
  const resizes = new ResizeObserver(() => reportVideoSizes());
  resizes.observe(grid);
  resizes.observe(stageVideo);
  state.timers.push(setInterval(reportVideoSizes, 1000));
  return () => resizes.disconnect();
}
