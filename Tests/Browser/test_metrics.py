"""/metrics through swift-metrics and swift-prometheus, scraped around a real lecture (the load tester signs up,
books, takes room tokens and joins over WHIP/WHEP with real DTLS and SRTP): every family an operator's dashboard
reads is present, typed as Prometheus expects, and moves; /readyz answers ready."""
import datetime
import json
import re
import threading
import time
import uuid

import requests

from conftest import ROOT
from test_load_tester import run_load

DASHBOARD = ROOT / "config" / "grafana" / "peerlearn-dashboard.json"

# Label values may hold braces (a route pattern such as /whep/{room}): match quoted values whole.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$')

# Family -> Prometheus type, and whether the lecture must move it.
FAMILIES = {
    "peerlearn_http_requests_total": "counter",
    "peerlearn_http_request_duration_seconds": "histogram",
    "peerlearn_http_active_requests": "gauge",
    "peerlearn_bookings_total": "counter",
    "peerlearn_payments_total": "counter",
    "peerlearn_room_tokens_total": "counter",
    "peerlearn_joins_total": "counter",
    "peerlearn_join_signaling_seconds": "histogram",
    "peerlearn_relay_join_connected_seconds": "histogram",
    "peerlearn_relay_join_first_media_seconds": "histogram",
    "peerlearn_relay_participants": "gauge",
    "peerlearn_relay_rooms": "gauge",
    "peerlearn_relay_worker_participants": "gauge",
    "peerlearn_relay_worker_rtp_forwarded_total": "counter",
    "peerlearn_relay_worker_sent_bytes_total": "counter",
    "peerlearn_relay_worker_busy_seconds_total": "counter",
    "peerlearn_relay_worker_wakeups_total": "counter",
    "peerlearn_relay_rtp_forwarded_total": "counter",
    "peerlearn_relay_keyframe_requests_total": "counter",
    "peerlearn_relay_retransmissions_total": "counter",
    "peerlearn_relay_drops_total": "counter",
    "peerlearn_relay_send_syscalls_total": "counter",
    "peerlearn_relay_send_messages_total": "counter",
    "peerlearn_relay_send_datagrams_total": "counter",
    "peerlearn_relay_batch_delay_seconds": "histogram",
    "peerlearn_relay_estimate_legs": "gauge",
    "peerlearn_relay_leg_loss_ratio": "gauge",
    "peerlearn_relay_room_loss_ratio": "gauge",
    "peerlearn_db_query_duration_seconds": "histogram",
    "peerlearn_db_connection_wait_seconds": "histogram",
    "peerlearn_db_connections_in_use": "gauge",
    "peerlearn_db_connections_max": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_start_time_seconds": "gauge",
}
MOVING = [
    "peerlearn_http_requests_total", "peerlearn_http_request_duration_seconds_count", "peerlearn_bookings_total",
    "peerlearn_payments_total", "peerlearn_room_tokens_total", "peerlearn_joins_total", "peerlearn_join_signaling_seconds_count",
    "peerlearn_relay_join_connected_seconds_count", "peerlearn_relay_join_first_media_seconds_count",
    "peerlearn_relay_rtp_forwarded_total", "peerlearn_relay_worker_rtp_forwarded_total",
    "peerlearn_relay_worker_sent_bytes_total", "process_cpu_seconds_total",
    "peerlearn_relay_worker_busy_seconds_total", "peerlearn_relay_worker_wakeups_total",
    "peerlearn_relay_send_syscalls_total", "peerlearn_relay_send_messages_total", "peerlearn_relay_send_datagrams_total",
    "peerlearn_db_query_duration_seconds_count", "peerlearn_db_connection_wait_seconds_count",
]


def scrape(server):
    response = requests.get(server.base_url + "/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    types, totals, labels = {}, {}, {}
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert types.setdefault(name, kind) == kind, f"{name} typed twice"
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample: {line!r}"
            name, label_text, value = match.groups()
            totals[name] = totals.get(name, 0.0) + float(value)
            labels.setdefault(name, set()).update(re.findall(r'([a-z_]+)="', label_text or ""))
    return types, totals, labels


def paid_booking_burst(server, learners=6):
    """A paid session booked by `learners` learners, every third with a card the sandbox declines."""
    mentor, _ = server.register(f"m{uuid.uuid4().hex[:10]}", "mentor")
    schedule = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).isoformat()
    created = server.api("POST", "/api/sessions", mentor, json={
        "title": "Metrics", "description": "a paid burst", "schedule": schedule, "duration": 30,
        "max_participants": learners, "price": 15})
    assert created.status_code == 201, created.text
    session = created.json()
    assert server.api("POST", f"/api/sessions/{session['id']}/schedule", mentor).status_code == 200
    statuses = []
    for index in range(learners):
        learner, _ = server.register(f"l{uuid.uuid4().hex[:10]}", "learner")
        card = "tok_decline" if index % 3 == 0 else "tok_visa"
        statuses.append(server.api("POST", f"/api/sessions/{session['id']}/bookings", learner,
                                   json={"card_token": card}).status_code)
    assert statuses.count(201) == learners - (learners + 2) // 3 and statuses.count(402) == (learners + 2) // 3, statuses


def test_metrics_families_are_typed_and_move_during_a_lecture(server):
    assert requests.get(server.base_url + "/readyz", timeout=10).json()["status"] == "ready"
    _, before, _ = scrape(server)
    paid_booking_burst(server)
    # Scraped while the lecture runs too: its people, rooms and downlink estimates are there only then.
    outcome = {}
    lecture = threading.Thread(target=lambda: outcome.update(
        run=run_load(server, "lecture", "--viewers", "3", "--video-kbps", "400")))
    lecture.start()
    during = {}
    deadline = time.time() + 60
    while lecture.is_alive() and time.time() < deadline:
        _, sample, _ = scrape(server)
        if sample.get("peerlearn_relay_participants", 0) >= 4 and sample.get("peerlearn_relay_estimate_legs", 0) > 0:
            during = sample
            break
        time.sleep(0.2)
    lecture.join(timeout=180)
    (result,), _ = outcome["run"]
    assert result["joined"] == 3
    # The publisher and three viewers in one room, on the worker's gauges too; every viewer's leg estimated.
    assert during.get("peerlearn_relay_rooms", 0) >= 1 and during.get("peerlearn_relay_worker_participants", 0) >= 4, during
    types, after, labels = scrape(server)

    for family, kind in FAMILIES.items():
        assert types.get(family) == kind, f"{family}: typed {types.get(family)}, want {kind}"
    for series in MOVING:
        assert after.get(series, 0) > before.get(series, 0), f"{series} did not move: {before.get(series)} -> {after.get(series)}"
    # Bounded, conventional labels: routes are patterns, never raw paths with ids in them.
    assert {"route", "method", "status"} <= labels["peerlearn_http_requests_total"]
    assert {"outcome"} <= labels["peerlearn_bookings_total"] and {"via", "outcome"} <= labels["peerlearn_joins_total"]
    text = requests.get(server.base_url + "/metrics", timeout=10).text
    routes = set(re.findall(r'peerlearn_http_requests_total\{.*?route="([^"]*)"', text))
    assert routes and all(not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", route) for route in routes), routes
    assert 'peerlearn_joins_total{via="whip",outcome="created"}' in text or \
        'peerlearn_joins_total{outcome="created",via="whip"}' in text, text
    assert 'peerlearn_payments_total{outcome="declined"}' in text and 'peerlearn_payments_total{outcome="charged"}' in text
    # Statements by Fluent's action (a bounded set); SQLite's booking writes go through its group commit.
    operations = set(re.findall(r'peerlearn_db_query_duration_seconds_count\{operation="([a-z_]+)"\} ([0-9.e+]+)', text))
    moved = {name for name, count in operations if float(count) > 0}
    assert {"read", "create", "group_commit"} <= moved, operations
    assert re.search(r"^peerlearn_db_connections_max 1(\.0)?$", text, re.M), "SQLite has one connection"

    # The Grafana dashboard in the repository reads only families /metrics has.
    dashboard = json.loads(DASHBOARD.read_text())
    named = {name for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"\b((?:peerlearn|process)_[a-z_]+)", target["expr"])}
    families = {re.sub(r"_(bucket|count|sum)$", "", name) if re.sub(r"_(bucket|count|sum)$", "", name) in types else name
                for name in named}
    assert len(dashboard["panels"]) >= 10 and families <= set(types), sorted(families - set(types))
