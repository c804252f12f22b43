"""A capped simulcast viewer on our relay and on Janus's VideoRoom, measured the same way (issue 12).

The scenario of test_impairment's `test_a_capped_viewer_moves_down_within_5_s_and_back_up_within_10_s_of_the_cap_lifting`:
a headless Chromium publishes the fake camera (1280x720) as three simulcast encodings (rids q/h/f at 1/4, 1/2
and full size, 150 / 500 / 1,500 kbit/s at most); two Chromium watchers receive it, one inside a network
namespace whose downlink gets a 500 kbit/s token bucket (`impairment.Link`) from `--cap-at` to `--lift-at`
seconds. Each watcher's getStats() is sampled every `--interval` s with conftest_impairment's `Sampler`;
the figures (time to move down and back up, freezes, layer switches, kbit/s under the cap) are printed per
server and side by side.

- Ours: `peerlearn serve` (debug build) on a private loopback address (`impairment.ImpairedServer`), joined
  through the web client's WHIP/WHEP helpers exactly as the test does.
- Janus: Debian's janus (1.1) confined in a namespace of its own (it leaves loopback out of ICE), ICE-lite on
  its veth, only the HTTP transport and the VideoRoom plugin, as scripts/compare-janus runs it. The pages
  talk to its HTTP API with fetch (janus_simulcast.js). The capped watcher's namespace reaches Janus's through
  the host, so forwarding is enabled on those two veths only (never host-wide).

Janus 1.1's VideoRoom forwards substream 2 to every subscriber unless the application `configure`s another;
it ignores a subscriber's REMB, and its simulcast `fallback` (250 ms) drops a subscriber to a lower
substream only when the *publisher's* substream stops arriving at Janus. `--janus-policy slowlink` adds
the adaptation a Janus application is expected to make itself (one substream down per `slowlink` event,
one up after 5 s without one); Janus gets `slowlink_threshold = 4` (its sample configuration's value) so
those events exist at all, and the watchers count them under either policy.

Run by scripts/compare-janus-simulcast (needs root).
"""
import argparse
import contextlib
import http.server
import json
import pathlib
import random
import subprocess
import sys
import tempfile
import threading
import time

import requests
from playwright.sync_api import sync_playwright

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import impairment  # noqa: E402
from conftest import BINARY, CHROMIUM, ROOT, Server, tone_wav  # noqa: E402
from conftest_impairment import PAGE_HELPERS, Sampler, chromium_arguments, live_session, room_token  # noqa: E402

TOP_WIDTH = 1280
WARM_UP_SECONDS = 30
JANUS_PORT = 8088


def width(sample):
    return sample["video"].get("frameWidth") or 0


def install_helpers(page):
    """conftest_impairment's `window.impair` (its `stats` reads `window.watched.pc`)."""
    page.evaluate("() => {" + PAGE_HELPERS + "}")


def browser_arguments(wav, origin, *also_allowed):
    """chromium_arguments for `origin`, with more addresses let through the resolver rule."""
    arguments = chromium_arguments(wav, origin)
    for address in also_allowed:
        arguments = [argument + f" , EXCLUDE {address}" if argument.startswith("--host-resolver-rules=") else argument
                     for argument in arguments]
    return arguments


# MARK: - The servers


class OurRelay:
    """`peerlearn serve` on a private loopback address, and the web client's join flow."""

    name = "ours"

    def __init__(self, wav):
        self.address = impairment.ServerAddress()
        try:
            self.running = impairment.ImpairedServer(BINARY, ROOT, self.address)
        except Exception:
            self.address.close()
            raise
        self.server = Server(self.running.base_url, self.running.relay_port, self.running.process,
                             self.running.data_dir, self.running.log_path)
        self.arguments = chromium_arguments(wav, self.running.base_url)

    def prepare(self, capped_link):
        """Nothing to route: the server's address is the host's own."""

    def open(self, browser):
        page = browser.new_context().new_page()
        page.goto(self.server.base_url + "/relay-demo.html")
        page.wait_for_function("window.peerlearn !== undefined")
        install_helpers(page)
        return page

    def join(self, publisher, capped, free, publisher_kbps):
        session, mentor, (capped_learner, free_learner) = live_session(self.server, learners=2)
        room = session["meeting_room_id"]
        publisher.evaluate("([room, token, options]) => window.impair.publish(room, token, options)",
                           [room, room_token(self.server, session, mentor), {"simulcast": True, "maxKbps": publisher_kbps}])
        for page, learner in ((capped, capped_learner), (free, free_learner)):
            page.evaluate("([room, token]) => window.impair.watch(room, token)",
                          [room, room_token(self.server, session, learner)])

    def watcher_state(self, page):
        return {}

    def close(self):
        self.running.close()
        self.address.close()


class _PageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Janus:
    """Debian's Janus in a namespace of its own, and a page (served from the host) that drives its HTTP API."""

    name = "Janus"

    def __init__(self, wav, policy):
        self.policy = policy
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="janus-simulcast-"))
        self.process = None
        self.pages = None
        # Janus's namespace: an `impairment.Link` never capped (so `impairment.sweep()` also clears a killed run's).
        self.link = impairment.Link()
        try:
            self._start()
        except Exception:
            self.close()
            raise
        self.origin = f"http://{self.link.host_ip}:{self.pages.server_address[1]}"
        self.base = f"http://{self.link.ip}:{JANUS_PORT}/janus"
        self.arguments = browser_arguments(wav, self.origin, self.link.ip)

    def _start(self):
        ns, interface = self.link.namespace, self.link.namespace_interface
        # Replies from the namespace to the host's addresses are dropped unless it accepts local sources
        # without reverse-path checks (measured-facts).
        for conf in ("all", "default", interface):
            impairment.run("sysctl", "-qw", f"net.ipv4.conf.{conf}.accept_local=1", f"net.ipv4.conf.{conf}.rp_filter=0",
                           namespace=ns)
        # The capped watcher's namespace reaches this one through the host.
        impairment.run("sysctl", "-qw", f"net.ipv4.conf.{self.link.host_interface}.forwarding=1")
        library = next(line for line in impairment.run("dpkg", "-L", "janus").splitlines()
                       if line.endswith("/plugins/libjanus_videoroom.so"))
        library = pathlib.Path(library).parent.parent
        conf, plugins, transports, none = (self.work / d for d in ("conf", "plugins", "transports", "none"))
        for directory in (conf, plugins, transports, none):
            directory.mkdir()
        (plugins / "libjanus_videoroom.so").symlink_to(library / "plugins" / "libjanus_videoroom.so")
        (transports / "libjanus_http.so").symlink_to(library / "transports" / "libjanus_http.so")
        (conf / "janus.jcfg").write_text(f"""general: {{
	configs_folder = "{conf}"
	plugins_folder = "{plugins}"
	transports_folder = "{transports}"
	events_folder = "{none}"
	loggers_folder = "{none}"
	debug_level = 3
	session_timeout = 60
	server_name = "compare-janus-simulcast"
}}
certificates: {{
}}
media: {{
	ipv6 = false
	rtp_port_range = "20000-20999"
	slowlink_threshold = 4
}}
nat: {{
	ice_lite = true
	ice_tcp = false
	full_trickle = false
	ice_enforce_list = "{interface}"
}}
events: {{
	broadcast = false
}}
""")
        (conf / "janus.transport.http.jcfg").write_text(f"""general: {{
	json = "compact"
	base_path = "/janus"
	http = true
	port = {JANUS_PORT}
	ip = "{self.link.ip}"
	https = false
}}
admin: {{
	admin_http = false
	admin_https = false
}}
""")
        (conf / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
        self.log_path = self.work / "janus.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", ns, "janus", "-C", str(conf / "janus.jcfg"), "-F", str(conf), "-o"],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError("Janus did not come up:\n" + self.log_path.read_text(errors="replace")[-3000:])
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://{self.link.ip}:{JANUS_PORT}/janus/info", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        page = ("<!doctype html><meta charset=utf-8><title>Janus simulcast</title>"
                "<script src=janus_simulcast.js></script>").encode()
        script = (HERE / "janus_simulcast.js").read_bytes()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body, kind = (script, "text/javascript") if self.path.endswith(".js") else (page, "text/html")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.pages = _PageServer((self.link.host_ip, 0), Handler)
        threading.Thread(target=self.pages.serve_forever, daemon=True).start()

    def prepare(self, capped_link):
        impairment.run("sysctl", "-qw", f"net.ipv4.conf.{capped_link.host_interface}.forwarding=1")

    def open(self, browser):
        page = browser.new_context().new_page()
        page.goto(self.origin + "/")
        page.wait_for_function("window.janusRoom !== undefined")
        install_helpers(page)
        return page

    def join(self, publisher, capped, free, publisher_kbps):
        room = random.randint(100_000, 999_999)
        published = publisher.evaluate("([base, room, options]) => window.janusRoom.publish(base, room, options)",
                                       [self.base, room, {"maxKbps": publisher_kbps}])
        for page in (capped, free):
            page.evaluate("([base, room, feed, options]) => window.janusRoom.watch(base, room, feed, options)",
                          [self.base, room, published["feed"], {"policy": self.policy}])

    def watcher_state(self, page):
        return page.evaluate("() => window.janusRoom.watcherState()")

    def close(self):
        if self.pages is not None:
            self.pages.shutdown()
            self.pages.server_close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()
        self.link.close()


# MARK: - The run


def run_scenario(playwright, server, wav, options):
    """Publisher and uncapped watcher on the host, the capped watcher in a namespace; returns the timeline."""
    link = impairment.Link()
    browsers = []
    try:
        server.prepare(link)
        host = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=server.arguments)
        browsers.append(host)
        inside = playwright.chromium.launch(executable_path=link.chromium(), headless=True, args=server.arguments)
        browsers.append(inside)
        publisher, capped, free = server.open(host), server.open(inside), server.open(host)
        server.join(publisher, capped, free, options.publisher_kbps)
        samplers = {"capped": Sampler(capped), "uncapped": Sampler(free)}
        pages = {"capped": capped, "uncapped": free}

        # Both on the top layer first, as the test waits (the publisher's estimate ramps up).
        started = time.time()
        while time.time() - started < WARM_UP_SECONDS:
            if all(width(sampler.sample()) == TOP_WIDTH for sampler in samplers.values()):
                break
            time.sleep(0.5)
        warm_up = time.time() - started
        for sampler in samplers.values():
            sampler.samples.clear()

        timeline = {name: [] for name in samplers}
        events = {}
        shaper = {}
        origin = time.time()
        tick = 0
        while True:
            now = time.time() - origin
            if now >= options.duration:
                break
            if "cap" not in events and now >= options.cap_at:
                link.cap("down", options.cap_kbps)
                events["cap"] = time.time() - origin
                shaper["before"] = link.cap_statistics("down")
            if "cap" in events and "lift" not in events and now >= options.lift_at:
                shaper["during"] = link.cap_statistics("down")
                link.uncap("down")
                events["lift"] = time.time() - origin
            for name, sampler in samplers.items():
                sample = sampler.sample()
                timeline[name].append((time.time() - origin, sample))
            tick += 1
            time.sleep(max(0.0, origin + tick * options.interval - time.time()))
        states = {name: server.watcher_state(page) for name, page in pages.items()}
        publisher_sample = None
        with contextlib.suppress(Exception):
            publisher_sample = publisher.evaluate("() => window.impair.stats('published')")
        return {"timeline": timeline, "events": events, "shaper": shaper, "warm_up": warm_up, "states": states,
                "publisher": publisher_sample}
    finally:
        for browser in browsers:
            with contextlib.suppress(Exception):
                browser.close()
        link.close()


def sample_at(timeline, moment):
    """The first sample taken at or after `moment` (the last one if none)."""
    for at, sample in timeline:
        if at >= moment:
            return at, sample
    return timeline[-1]


def summarize(timeline, events, top=TOP_WIDTH):
    """The figures the issue asks for, for one watcher."""
    cap, lift = events["cap"], events["lift"]
    before_cap = [(at, s) for at, s in timeline if at < cap]
    at_cap = before_cap[-1] if before_cap else timeline[0]
    at_lift = sample_at(timeline, lift)
    # A freeze is counted when it ends: one that the lift ends is the cap's too.
    after_lift = sample_at(timeline, lift + 3.0)
    settled = sample_at(timeline, cap + 2.0)
    end = timeline[-1]

    down = next((at - cap for at, s in timeline if at >= cap and 0 < width(s) < top), None)
    width_at_lift = width(at_lift[1])
    if width_at_lift >= top:
        up = "was on top"
    else:
        up = next((at - lift for at, s in timeline if at >= lift and width(s) >= top), None)

    # Smooth again after the lift: the first sample after it that opens a second of >= 15 decoded frames.
    resumed = None
    for at, s in timeline:
        if at < lift:
            continue
        later_at, later = sample_at(timeline, at + 1.0)
        if later_at < at + 0.9:
            break  # the run ended
        if later["video"].get("framesDecoded", 0) - s["video"].get("framesDecoded", 0) >= 15:
            resumed = at - lift
            break

    # Layer switches: changes of the decoded width (0 is "nothing decoded yet" and never counts).
    path, switches = [], 0
    for at, s in timeline:
        w = width(s)
        if w == 0:
            continue
        if path and path[-1][1] != w:
            switches += 1
        if not path or path[-1][1] != w:
            path.append((at, w))

    # The longest time without a newly decoded frame during the cap.
    stall, last_progress, last_frames = 0.0, None, None
    for at, s in timeline:
        if at < cap or at > lift:
            continue
        frames = s["video"].get("framesDecoded", 0)
        if last_frames is None or frames > last_frames:
            last_progress, last_frames = at, frames
        stall = max(stall, at - last_progress)

    def delta(first, last, key, kind="video"):
        return Sampler.delta(first[1], last[1], kind, key)

    cap_seconds = (at_lift[1]["at"] - at_cap[1]["at"]) / 1000
    return {
        "width_before_cap": width(at_cap[1]),
        "down_after_s": down,
        "width_under_cap": width(sample_at(timeline, lift - 0.01)[1]),
        "up_after_s": up,
        "width_at_end": width(end[1]),
        "smooth_after_lift_s": resumed,
        "layer_switches": switches,
        "layer_path": [(round(at, 2), w) for at, w in path],
        "cap_freezes": delta(at_cap, after_lift, "freezeCount"),
        "cap_frozen_s": delta(at_cap, after_lift, "totalFreezesDuration"),
        "run_freezes": delta(timeline[0], end, "freezeCount"),
        "run_frozen_s": delta(timeline[0], end, "totalFreezesDuration"),
        "cap_decoded_fps": delta(at_cap, at_lift, "framesDecoded") / max(cap_seconds, 1e-3),
        "cap_longest_stall_s": stall,
        "cap_kbps": Sampler.received_kbps(settled[1], at_lift[1]),
        "cap_video_lost": delta(at_cap, at_lift, "packetsLost"),
        "cap_nacks": delta(at_cap, at_lift, "nackCount"),
        "cap_plis": delta(at_cap, at_lift, "pliCount"),
        "cap_keyframes": delta(at_cap, at_lift, "keyFramesDecoded"),
        "run_kbps": Sampler.received_kbps(timeline[0][1], end[1]),
        "run_bytes": delta(timeline[0], end, "bytesReceived") + delta(timeline[0], end, "bytesReceived", "audio"),
        "run_decoded": delta(timeline[0], end, "framesDecoded"),
    }


ROWS = [
    ("width before the cap", "width_before_cap", "{:.0f}"),
    ("moved down after (s)", "down_after_s", "{:.2f}"),
    ("width under the cap", "width_under_cap", "{:.0f}"),
    ("back on top after lift (s)", "up_after_s", "{:.2f}"),
    ("width at the end", "width_at_end", "{:.0f}"),
    (">= 15 fps again after lift (s)", "smooth_after_lift_s", "{:.2f}"),
    ("layer switches", "layer_switches", "{:.0f}"),
    ("freezes, cap to lift+3 s", "cap_freezes", "{:.0f}"),
    ("frozen s, cap to lift+3 s", "cap_frozen_s", "{:.2f}"),
    ("freezes, whole run", "run_freezes", "{:.0f}"),
    ("frozen s, whole run", "run_frozen_s", "{:.2f}"),
    ("decoded fps under the cap", "cap_decoded_fps", "{:.1f}"),
    ("longest decode gap, cap (s)", "cap_longest_stall_s", "{:.2f}"),
    ("kbit/s under the cap (+2 s)", "cap_kbps", "{:.0f}"),
    ("video lost under the cap", "cap_video_lost", "{:.0f}"),
    ("NACKs sent under the cap", "cap_nacks", "{:.0f}"),
    ("PLIs sent under the cap", "cap_plis", "{:.0f}"),
    ("kbit/s whole run", "run_kbps", "{:.0f}"),
    ("frames decoded, whole run", "run_decoded", "{:.0f}"),
]


def cell(value, form):
    if value is None:
        return "never"
    if isinstance(value, str):
        return value
    return form.format(value)


def report(results, options):
    """Prints each server's watchers and the side-by-side table; returns the JSON-able summary."""
    summary = {}
    for name, result in results.items():
        watchers = {watcher: summarize(timeline, result["events"]) for watcher, timeline in result["timeline"].items()}
        shaper = result["shaper"]
        dropped = shaper["during"]["dropped"] - shaper["before"]["dropped"]
        passed = shaper["during"]["packets"] - shaper["before"]["packets"]
        summary[name] = {"watchers": watchers, "events": result["events"], "warm_up_s": result["warm_up"],
                         "shaper": {"passed": passed, "dropped": dropped}, "states": result["states"]}
        print(f"\n== {name}: warm-up {result['warm_up']:.1f} s; cap {options.cap_kbps} kbit/s at "
              f"{result['events']['cap']:.2f} s, lifted at {result['events']['lift']:.2f} s; the shaper passed "
              f"{passed} and dropped {dropped} packets")
        for watcher, figures in watchers.items():
            path = " -> ".join(f"{w}@{at:.1f}s" for at, w in figures["layer_path"])
            state = result["states"].get(watcher) or {}
            extra = (f"; Janus slowlink events {state['slowLinks']} ({state['slowLinkLost']} lost), "
                     f"configures {state['configures']}, substream target {state['substream']}") if state else ""
            print(f"  {watcher:<9} layers {path or '-'}{extra}")
    names = list(results)
    columns = [(name, watcher) for watcher in ("capped", "uncapped") for name in names]
    size = max(18, *(len(name) + len(watcher) + 3 for name, watcher in columns))
    header = f"  {'':<30}" + "".join(f"{(name + ' ' + watcher):>{size}}" for name, watcher in columns)
    print("\n" + header)
    for label, key, form in ROWS:
        line = f"  {label:<30}"
        for name, watcher in columns:
            line += f"{cell(summary[name]['watchers'][watcher][key], form):>{size}}"
        print(line)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="ours,janus", help="comma-separated: ours, janus (default both)")
    parser.add_argument("--cap-kbps", type=int, default=500)
    parser.add_argument("--publisher-kbps", type=int, default=1500)
    parser.add_argument("--cap-at", type=float, default=6.0)
    parser.add_argument("--lift-at", type=float, default=16.0)
    parser.add_argument("--duration", type=float, default=28.0)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--janus-policy", choices=("none", "slowlink"), default="none")
    parser.add_argument("--json", help="also write the summaries and raw timelines here")
    options = parser.parse_args(argv)
    if not options.cap_at < options.lift_at < options.duration:
        parser.error("needs --cap-at < --lift-at < --duration")
    targets = [t.strip().lower() for t in options.targets.split(",") if t.strip()]
    if not impairment.is_root():
        sys.exit("compare-janus-simulcast: needs root (network namespaces)")
    impairment.sweep()
    wav = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
    tone_wav(wav)
    results = {}
    with sync_playwright() as playwright:
        for target in targets:
            if target == "ours":
                server = OurRelay(wav)
            elif target == "janus":
                server = Janus(wav, options.janus_policy)
            else:
                sys.exit(f"compare-janus-simulcast: unknown target {target}")
            label = server.name if target == "ours" or options.janus_policy == "none" else f"Janus+{options.janus_policy}"
            print(f"== running {label}", flush=True)
            try:
                results[label] = run_scenario(playwright, server, wav, options)
            except Exception as error:  # one server failing still leaves the other's figures
                print(f"compare-janus-simulcast: {label} failed: {error}", file=sys.stderr)
                log = getattr(server, "log_path", None) or server.running.log_path
                print(pathlib.Path(log).read_text(errors="replace")[-2000:], file=sys.stderr)
            finally:
                server.close()
    if not results:
        return 1
    summary = report(results, options)
    if options.json:
        raw = {name: {watcher: [(at, s) for at, s in timeline] for watcher, timeline in result["timeline"].items()}
               for name, result in results.items()}
        pathlib.Path(options.json).write_text(json.dumps({"summary": summary, "timelines": raw,
                                                          "options": vars(options)}, indent=1))
    return 0 if len(results) == len(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
