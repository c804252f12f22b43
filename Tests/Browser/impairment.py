"""Impaired links for the browser tests: network namespaces, veth pairs, rate caps and random loss.

The server (`ImpairedServer`) listens, HTTP and relay UDP alike, on a private address of its own
(`ServerAddress`, a /32 on the loopback device), so browsers on the host and browsers inside any
namespace reach it at the same URL. A `Link` is one namespace joined to the host by a veth pair,
with a default route toward the host: whatever runs inside (a headless Chromium started through
`ip netns exec`, or a load-tester socket) reaches the server only across that veth, where the test
can put a cap and loss in either direction.

- *down* is host → namespace: what a viewer inside receives. Capped on the host end's egress.
- *up* is namespace → host: what a publisher inside sends. Capped on the namespace end's egress.

A cap is a token bucket (`tc … tbf`) like a home link's shaper: a burst of a few packets and a
queue of `queue_ms` (150 ms by default) at the capped rate; what does not fit is dropped, as a
bottleneck router drops it. A namespace may hold several addresses (`Link(addresses=N)`), one per
learner whose sockets live there; `cap_each` then gives each address a downlink of its own at the
rate (learners at home do not share a link): an `htb` class per address (rate = ceil = the cap, the
same burst, a byte fifo of `queue_ms` under it) picked by a `u32` filter on the destination address
(this kernel has no flower or fw classifier). Loss is an nftables rule (`numgen random mod 10000 < N drop`) on the
namespace end (its ingress for *down*, its egress for *up*), because this kernel has no sch_netem;
like netem it drops independently and silently, after the cap.

Names carry the pid and a serial number, so concurrent or leftover runs never collide; `sweep()`
removes what a killed run of an earlier pid left behind. Everything made is undone by `close()`,
which the context managers and the fixtures call even when a test fails. Needs root.
"""
import contextlib
import itertools
import os
import pathlib
import random
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import requests

PREFIX = "pli"
CHROMIUM = "/usr/bin/chromium"
_serial = itertools.count()


def run(*command, namespace=None, check=True, input=None):
    """Runs `command` (on the host, or inside `namespace`); returns its stdout."""
    argv = (["ip", "netns", "exec", namespace] if namespace else []) + [str(part) for part in command]
    completed = subprocess.run(argv, capture_output=True, text=True, input=input)
    if check and completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr.strip()}")
    return completed.stdout


def is_root():
    return os.geteuid() == 0


def _unique_name():
    # Interface names are at most 15 bytes; this leaves room for a one-letter suffix.
    return f"{PREFIX}{os.getpid() % 100_000}x{next(_serial)}"


def _addresses_in_use():
    return set(re.findall(r"inet (\d+\.\d+\.\d+)\.\d+/", run("ip", "-4", "-o", "addr", "show")))


def _free_subnet():
    """A 10.x.y.0/24 no interface on the host uses."""
    used = _addresses_in_use()
    for _ in range(1_000):
        prefix = f"10.{random.randint(160, 250)}.{random.randint(0, 255)}"
        if prefix not in used:
            return prefix
    raise RuntimeError("no free 10.x.y.0/24")


def sweep():
    """Deletes namespaces and interfaces left by earlier runs whose process is gone."""
    pattern = re.compile(rf"^{PREFIX}(\d+)x\d+")
    for line in run("ip", "netns", "list", check=False).splitlines():
        match = pattern.match(line.split()[0]) if line.strip() else None
        if match and not _pid_alive(int(match.group(1))):
            run("ip", "netns", "del", line.split()[0], check=False)
    for name in re.findall(rf"^\d+: ({PREFIX}\d+x\d+\w?)[@:]", run("ip", "-o", "link", "show"), re.M):
        match = pattern.match(name)
        if match and not _pid_alive(int(match.group(1))):
            run("ip", "link", "del", name, check=False)
    for ip, label in re.findall(rf"inet (\S+) .*?(lo:{PREFIX}\d+x\d+)", run("ip", "-4", "-o", "addr", "show", "dev", "lo")):
        match = pattern.match(label[3:])
        if match and not _pid_alive(int(match.group(1))):
            run("ip", "addr", "del", ip, "dev", "lo", check=False)


def _pid_alive(short_pid):
    """Whether a live process's pid ends in `short_pid` (names keep pid mod 100,000)."""
    if short_pid == os.getpid() % 100_000:
        return True
    return any(int(entry) % 100_000 == short_pid for entry in os.listdir("/proc") if entry.isdigit())


class ServerAddress:
    """A private /32 on the loopback device, labelled with the run's name: the address the server
    listens on. Packets from a namespace to it cross the veth and are delivered locally (the host
    takes any of its addresses on any interface), so every namespace reaches the same server."""

    def __init__(self):
        self.label = "lo:" + _unique_name()
        self.ip = f"{_free_subnet()}.1"
        run("ip", "addr", "add", f"{self.ip}/32", "dev", "lo", "label", self.label)
        self._made = True

    def close(self):
        if self._made:
            run("ip", "addr", "del", f"{self.ip}/32", "dev", "lo", check=False)
            self._made = False

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


class Link:
    """A network namespace joined to the host by a veth pair; caps and loss on either direction."""

    DIRECTIONS = ("down", "up")

    def __init__(self, addresses=1):
        if not 1 <= addresses <= 200:
            raise ValueError("a link holds 1 to 200 addresses")
        self.namespace = _unique_name()
        self.host_interface = self.namespace + "h"
        self.namespace_interface = self.namespace + "n"
        subnet = _free_subnet()
        self.host_ip = f"{subnet}.1"
        # The namespace's addresses, one per learner that needs a link of its own (`cap_each`); `ip` is the first.
        self.ips = [f"{subnet}.{2 + k}" for k in range(addresses)]
        self.ip = self.ips[0]
        self._tables = set()
        self._wrapper = None
        self._closed = False
        try:
            run("ip", "netns", "add", self.namespace)
            run("ip", "link", "add", self.host_interface, "type", "veth", "peer", "name", self.namespace_interface)
            run("ip", "link", "set", self.namespace_interface, "netns", self.namespace)
            run("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_interface)
            run("ip", "link", "set", self.host_interface, "up")
            run("sysctl", "-qw", f"net.ipv4.conf.{self.host_interface}.rp_filter=0")
            ns = self.namespace
            for ip in self.ips:
                run("ip", "addr", "add", f"{ip}/24", "dev", self.namespace_interface, namespace=ns)
            run("ip", "link", "set", self.namespace_interface, "up", namespace=ns)
            run("ip", "link", "set", "lo", "up", namespace=ns)
            # Everything beyond the veth's own subnet (the server's address) goes through the host.
            run("ip", "route", "add", "default", "via", self.host_ip, namespace=ns)
            # One packet per segment: the relay sends runs of equal-size packets as one UDP GSO buffer,
            # which would otherwise cross the veth whole, and a drop would take the whole run.
            run("ip", "link", "set", "dev", self.host_interface, "gso_max_segs", "1")
            run("ip", "link", "set", "dev", self.namespace_interface, "gso_max_segs", "1", namespace=ns)
        except Exception:
            self.close()
            raise

    # MARK: caps

    def _egress(self, direction):
        """(interface, namespace) whose egress carries `direction`."""
        if direction == "down":
            return self.host_interface, None
        if direction == "up":
            return self.namespace_interface, self.namespace
        raise ValueError(f"direction must be one of {self.DIRECTIONS}")

    @staticmethod
    def _burst(kbit):
        # Enough for a few full-size packets, never more than ~20 ms at the rate: bursts pass like on a
        # real shaper, but the long-run rate is the cap.
        return int(max(3 * 1514, kbit * 1000 / 8 * 0.02))

    def cap(self, direction, kbit, queue_ms=150):
        """Caps `direction` at `kbit` kbit/s with a token bucket and a `queue_ms` queue (replaces a cap)."""
        interface, namespace = self._egress(direction)
        run("tc", "qdisc", "replace", "dev", interface, "root", "tbf", "rate", f"{kbit}kbit", "burst",
            self._burst(kbit), "latency", f"{queue_ms}ms", namespace=namespace)

    def _class_of(self, index):
        return f"1:{index + 2:x}"

    def cap_each(self, kbit, queue_ms=150):
        """Caps the downlink of each of the namespace's addresses at `kbit` kbit/s on its own (replaces a cap).

        The shape of `cap`'s token bucket per address: rate and ceiling `kbit` with its burst, and below it
        a byte fifo as long as tbf's (`queue_ms` at the rate, plus the burst). Anything for no address of the
        namespace (ARP) passes uncapped through the default class."""
        interface = self.host_interface
        burst = self._burst(kbit)
        queue = int(kbit * 1000 / 8 * queue_ms / 1000 + burst)
        run("tc", "qdisc", "del", "dev", interface, "root", check=False)
        run("tc", "qdisc", "add", "dev", interface, "root", "handle", "1:", "htb", "default", "1")
        run("tc", "class", "add", "dev", interface, "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit",
            "ceil", "10gbit", "burst", "1mb", "cburst", "1mb", "quantum", 60000)
        for index, ip in enumerate(self.ips):
            classid = self._class_of(index)
            run("tc", "class", "add", "dev", interface, "parent", "1:", "classid", classid, "htb",
                "rate", f"{kbit}kbit", "ceil", f"{kbit}kbit", "burst", burst, "cburst", burst, "quantum", 60000)
            run("tc", "qdisc", "add", "dev", interface, "parent", classid, "handle", f"{index + 2:x}:", "bfifo",
                "limit", queue)
            run("tc", "filter", "add", "dev", interface, "parent", "1:", "protocol", "ip", "prio", 1, "u32",
                "match", "ip", "dst", f"{ip}/32", "flowid", classid)

    def each_cap_statistics(self):
        """What each address's own shaper (`cap_each`) passed and dropped so far: {ip: {"bytes", "packets", "dropped"}}."""
        figures = {}
        for index, ip in enumerate(self.ips):
            text = run("tc", "-s", "class", "show", "dev", self.host_interface, "classid", self._class_of(index))
            match = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+)", text)
            figures[ip] = ({"bytes": int(match.group(1)), "packets": int(match.group(2)), "dropped": int(match.group(3))}
                           if match else {"bytes": 0, "packets": 0, "dropped": 0})
        return figures

    def uncap(self, direction):
        interface, namespace = self._egress(direction)
        run("tc", "qdisc", "del", "dev", interface, "root", namespace=namespace, check=False)

    def cap_statistics(self, direction):
        """What the shaper passed and dropped so far (all addresses' under `cap_each`): {"bytes", "packets", "dropped"}."""
        interface, namespace = self._egress(direction)
        text = run("tc", "-s", "qdisc", "show", "dev", interface, namespace=namespace)
        match = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+)", text)
        if not match:
            return {"bytes": 0, "packets": 0, "dropped": 0}
        return {"bytes": int(match.group(1)), "packets": int(match.group(2)), "dropped": int(match.group(3))}

    # MARK: loss

    def _table(self, direction):
        return f"loss{direction}"

    def loss(self, direction, percent):
        """Drops `percent` of IPv4 packets in `direction` at random, independently (replaces earlier loss)."""
        if not 0 <= percent < 100:
            raise ValueError("percent must be in [0, 100)")
        if direction not in self.DIRECTIONS:
            raise ValueError(f"direction must be one of {self.DIRECTIONS}")
        self.unloss(direction)
        hook = "ingress" if direction == "down" else "egress"
        table = self._table(direction)
        probability = int(round(percent * 100))  # in 1/10,000
        run("nft", "-f", "-", namespace=self.namespace, input=f"""
table netdev {table} {{
    counter seen {{}}
    counter dropped {{}}
    chain {hook} {{
        type filter hook {hook} device "{self.namespace_interface}" priority 0; policy accept;
        meta protocol ip counter name seen
        meta protocol ip numgen random mod 10000 < {probability} counter name dropped drop
    }}
}}
""")
        self._tables.add(table)

    def unloss(self, direction):
        table = self._table(direction)
        if table in self._tables:
            run("nft", "delete", "table", "netdev", table, namespace=self.namespace, check=False)
            self._tables.discard(table)

    def loss_counters(self, direction):
        """{"seen", "dropped"} packets since `loss(direction, …)`; seen counts the dropped ones too."""
        text = run("nft", "list", "counters", "table", "netdev", self._table(direction), namespace=self.namespace)
        values = {}
        for name, packets in re.findall(r"counter (\w+) \{\s*packets (\d+)", text):
            values[name] = int(packets)
        return {"seen": values.get("seen", 0), "dropped": values.get("dropped", 0)}

    # MARK: programs inside

    def chromium(self):
        """An executable that runs Debian's Chromium inside the namespace, for Playwright's
        `executable_path`: Playwright talks to it over a pipe, so only its network is moved."""
        if self._wrapper is None:
            directory = pathlib.Path(tempfile.mkdtemp(prefix=f"{self.namespace}-"))
            wrapper = directory / "chromium"
            wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.namespace} {CHROMIUM} "$@"\n')
            wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            self._wrapper = wrapper
        return str(self._wrapper)

    def close(self):
        """Undoes everything; safe to call twice and after a failed construction."""
        if self._closed:
            return
        self._closed = True
        # Deleting the namespace takes its end of the veth, its qdiscs and its nftables tables along;
        # the host end goes with its peer, but is deleted explicitly in case the namespace never got it.
        run("ip", "netns", "del", self.namespace, check=False)
        run("ip", "link", "del", self.host_interface, check=False)
        if self._wrapper is not None:
            shutil.rmtree(self._wrapper.parent, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def _free_port(ip, kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


class ImpairedServer:
    """`peerlearn serve` (debug build) with HTTP and the relay's UDP on `address.ip`.

    Rate limits are off: every request comes from a non-loopback address here.
    """

    def __init__(self, binary, root, address, extra_environment=None):
        self.address = address
        self.data_dir = tempfile.mkdtemp(prefix="peerlearn-impair-")
        self.http_port = _free_port(address.ip, socket.SOCK_STREAM)
        self.relay_port = _free_port(address.ip, socket.SOCK_DGRAM)
        self.base_url = f"http://{address.ip}:{self.http_port}"
        self.log_path = os.path.join(self.data_dir, "server.log")
        env = dict(os.environ,
                   PEERLEARN_DATA_DIRECTORY=self.data_dir, PEERLEARN_HTTP_HOST=address.ip,
                   PEERLEARN_HTTP_PORT=str(self.http_port), PEERLEARN_RELAY_BIND_HOST=address.ip,
                   PEERLEARN_RELAY_PORT=str(self.relay_port), PEERLEARN_BCRYPT_COST="4",
                   PEERLEARN_DATABASE_URL="", PEERLEARN_RATE_LIMIT_ENABLED="0", **(extra_environment or {}))
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(binary), "serve", "--config", str(root / "config" / "peerlearn.json"),
             "--public-directory", str(root / "Public")],
            cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log())
            try:
                if requests.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.close()
        raise RuntimeError("server did not come up:\n" + self.log())

    def log(self):
        return pathlib.Path(self.log_path).read_text(errors="replace")

    def metrics(self):
        """The relay's /metrics as {"name{labels}": value}."""
        samples = {}
        for line in requests.get(self.base_url + "/metrics", timeout=5).text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
        return samples

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
