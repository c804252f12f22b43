"""Tracing end to end: `peerlearn serve` with an OTLP/HTTP endpoint sends its spans (swift-otel, protobuf) to a
collector made here from the OpenTelemetry protocol's own Python messages (PyPI `opentelemetry-proto`). A paid
booking, room tokens and a real lecture from the load tester (WHIP/WHEP with real ICE, DTLS and SRTP) must
arrive as spans: HTTP requests by route, `booking.create` with `payment.charge` under the caller's W3C trace,
`room_token.issue`, and each join's `relay.join` with its ICE, DTLS and first-media phases, under the signaling
request's span. Every log line made inside a request carries its request id (answered in X-Request-Id) and
its trace id."""
import asyncio
import concurrent.futures
import datetime
import gzip
import http.server
import re
import secrets
import threading
import time
import urllib.parse
import uuid

import pytest
import requests
from aiortc import RTCPeerConnection
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from conftest import free_port, launch_server, stop_server
from interop.aiortc_peers import MovingPicture, configuration
from test_load_tester import run_load
from test_relay_browser import live_session, room_token


class Collector:
    """An OTLP/HTTP traces receiver: POST /v1/traces, protobuf `ExportTraceServiceRequest`."""

    def __init__(self):
        self.spans, self.lock = [], threading.Lock()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                with collector.lock:
                    for resource in request.resource_spans:
                        service = {a.key: a.value.string_value for a in resource.resource.attributes}.get("service.name")
                        for scope in resource.scope_spans:
                            for span in scope.spans:
                                collector.spans.append({
                                    "service": service, "name": span.name, "trace": span.trace_id.hex(),
                                    "id": span.span_id.hex(), "parent": span.parent_span_id.hex(),
                                    "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                                    "kind": span.kind, "attributes": {a.key: _value(a.value) for a in span.attributes},
                                    "status": (span.status.code, span.status.message),
                                })
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.port = free_port()
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def named(self, name):
        with self.lock:
            return [span for span in self.spans if span["name"] == name]

    def by_id(self):
        with self.lock:
            return {span["id"]: span for span in self.spans}

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(0.25)
        return predicate()


def _value(value):
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@pytest.fixture(scope="module")
def traced():
    collector = Collector()
    # Trace level: the database logs each statement, from inside the request that runs it.
    running = launch_server("--log-level", "trace", PEERLEARN_TRACING_ENDPOINT=f"http://127.0.0.1:{collector.port}/v1/traces",
                            PEERLEARN_TRACING_SERVICE_NAME="peerlearn-test")
    yield running, collector
    stop_server(running)
    collector.http.shutdown()


def paid_session(server, price=15):
    mentor, _ = server.register(f"m{uuid.uuid4().hex[:10]}", "mentor")
    schedule = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).isoformat()
    created = server.api("POST", "/api/sessions", mentor, json={
        "title": "Traced", "description": "a traced booking", "schedule": schedule, "duration": 30,
        "max_participants": 4, "price": price})
    assert created.status_code == 201, created.text
    assert server.api("POST", f"/api/sessions/{created.json()['id']}/schedule", mentor).status_code == 200
    return created.json()["id"]


def test_a_booking_is_one_trace_with_the_callers_parent_and_its_log_lines_carry_the_request_id(traced):
    server, collector = traced
    session = paid_session(server)
    learner, _ = server.register(f"l{uuid.uuid4().hex[:10]}", "learner")
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    booked = server.api("POST", f"/api/sessions/{session}/bookings", learner, json={"card_token": "tok_visa"},
                        headers={"traceparent": f"00-{trace_id}-{caller_span}-01"})
    assert booked.status_code == 201, booked.text
    request_id = booked.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16,32}", request_id), request_id

    assert collector.wait_for(lambda: any(s["trace"] == trace_id for s in collector.named("payment.charge"))), \
        [s["name"] for s in collector.spans]
    spans = collector.by_id()
    (booking,) = [s for s in collector.named("booking.create") if s["trace"] == trace_id]
    (charge,) = [s for s in collector.named("payment.charge") if s["trace"] == trace_id]
    http_span = spans[booking["parent"]]
    # The request's server span continues the caller's trace, is named by its route pattern, and holds the
    # booking, which holds the charge.
    assert http_span["parent"] == caller_span and http_span["kind"] == 2, http_span  # SPAN_KIND_SERVER
    assert http_span["name"] == "/api/sessions/{id}/bookings" or "{" in http_span["name"], http_span["name"]
    assert http_span["attributes"]["http.response.status_code"] == 201
    assert charge["parent"] == booking["id"]
    assert booking["attributes"]["peerlearn.booking.outcome"] == "confirmed"
    assert charge["attributes"]["peerlearn.payment.outcome"] == "charged"
    assert http_span["start"] <= booking["start"] <= charge["start"] <= charge["end"] <= booking["end"] <= http_span["end"]
    assert all(s["service"] == "peerlearn-test" for s in (http_span, booking, charge))

    # The request log's line and the database's statements made in the request name it, and its trace.
    time.sleep(0.5)
    lines = [line for line in server.log().splitlines() if f"hb.request.id={request_id}" in line]
    statements = [line for line in lines if re.search(r"\b(SELECT|INSERT|UPDATE)\b", line)]
    assert any("[ControlPlane] Request" in line for line in lines) and statements, lines
    assert all(f"trace_id={trace_id}" in line for line in statements), statements


def test_every_log_line_of_a_request_names_it_even_from_the_database_pools_threads(traced):
    server, _ = traced
    mentor, _ = server.register(f"m{uuid.uuid4().hex[:10]}", "mentor")
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).isoformat()
    created = server.api("POST", "/api/sessions", mentor, json={
        "title": "Logged", "description": "a room token's log", "schedule": start, "duration": 30,
        "max_participants": 4, "price": 0})
    assert created.status_code == 201, created.text
    assert server.api("POST", f"/api/sessions/{created.json()['id']}/schedule", mentor).status_code == 200
    token = server.api("POST", f"/api/sessions/{created.json()['id']}/room-token", mentor)
    assert token.status_code == 200, token.text
    request_id = token.headers["X-Request-Id"]
    time.sleep(0.5)
    lines = [line for line in server.log().splitlines() if f"hb.request.id={request_id}" in line]
    # The request log; Fluent's queries (logged in the request's task); and the connection pool's lines, logged
    # on the database's event loop, which sees no task-local context.
    assert any("[ControlPlane] Request" in line for line in lines), lines
    assert any("[FluentKit] Running query" in line for line in lines), lines
    assert any("[AsyncKit]" in line for line in lines), lines
    assert all("trace_id=" in line for line in lines), lines


def test_a_declined_payment_is_traced_with_its_outcome(traced):
    server, collector = traced
    session = paid_session(server)
    learner, _ = server.register(f"l{uuid.uuid4().hex[:10]}", "learner")
    trace_id = secrets.token_hex(16)
    refused = server.api("POST", f"/api/sessions/{session}/bookings", learner, json={"card_token": "tok_decline"},
                         headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert refused.status_code == 402, refused.text
    assert collector.wait_for(lambda: any(s["trace"] == trace_id for s in collector.named("booking.create")))
    (booking,) = [s for s in collector.named("booking.create") if s["trace"] == trace_id]
    (charge,) = [s for s in collector.named("payment.charge") if s["trace"] == trace_id]
    assert charge["attributes"]["peerlearn.payment.outcome"] == "declined"
    assert booking["attributes"]["peerlearn.booking.outcome"] == "payment_failed", booking["attributes"]


def test_a_lecture_traces_tokens_and_every_join_phase_by_phase(traced):
    server, collector = traced
    (result,), _ = run_load(server, "lecture", "--viewers", "2", "--video-kbps", "400")
    assert result["joined"] == 2

    # The publisher and both viewers: three joins, each complete.
    assert collector.wait_for(lambda: len(collector.named("relay.join")) >= 3), [s["name"] for s in collector.spans]
    assert len(collector.named("room_token.issue")) >= 3
    spans = collector.by_id()
    for token in collector.named("room_token.issue"):
        assert token["attributes"]["peerlearn.room_token.outcome"] == "issued"
        assert spans[token["parent"]]["kind"] == 2  # under its HTTP request's span
    routes = set()
    for join in collector.named("relay.join"):
        signaling = spans[join["parent"]]
        routes.add(signaling["attributes"]["http.route"])
        assert signaling["trace"] == join["trace"] and signaling["start"] <= join["start"], (signaling, join)
        phases = sorted((s for s in spans.values() if s["parent"] == join["id"]), key=lambda s: s["start"])
        assert [p["name"] for p in phases] == ["relay.join.ice", "relay.join.dtls", "relay.join.first_media"], phases
        assert phases[0]["start"] == join["start"] and phases[-1]["end"] == join["end"]
        for earlier, later in zip(phases, phases[1:]):
            assert earlier["end"] == later["start"]
        # On loopback a join reaches its first media well within 5 s.
        assert 0 < join["end"] - join["start"] < 5_000_000_000, join
        assert join["attributes"]["peerlearn.role"] in ("host", "participant")
    assert any("whip" in route for route in routes) and any("whep" in route for route in routes), routes


def test_a_join_that_ends_before_any_media_is_traced_with_why(traced):
    """aiortc offers over WHIP and leaves with a DELETE before doing ICE: the join is one `relay.join` span, up
    to its end, with an error status and the reason."""
    server, collector = traced
    session, mentor_token, _ = live_session(server, learners=0)
    token = room_token(server, session, mentor_token)
    trace_id = secrets.token_hex(16)

    async def offer_and_leave():
        pc = RTCPeerConnection(configuration())
        pc.addTrack(MovingPicture())
        await pc.setLocalDescription(await pc.createOffer())
        url = f"{server.base_url}/whip/{session['meeting_room_id']}"
        answered = await asyncio.to_thread(
            requests.post, url, data=pc.localDescription.sdp, timeout=10,
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}",
                     "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
        assert answered.status_code == 201, answered.text
        await asyncio.to_thread(requests.delete, urllib.parse.urljoin(url, answered.headers["Location"]), timeout=5,
                                headers={"Authorization": f"Bearer {token}"})
        await pc.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, offer_and_leave()).result()
    assert collector.wait_for(lambda: any(s["trace"] == trace_id for s in collector.named("relay.join")))
    (join,) = [s for s in collector.named("relay.join") if s["trace"] == trace_id]
    assert join["attributes"]["peerlearn.join.outcome"] == "requested", join
    assert join["status"] == (2, "ended before any media: requested"), join  # STATUS_CODE_ERROR
    phases = [s for s in collector.by_id().values() if s["parent"] == join["id"]]
    assert not any(p["name"] == "relay.join.first_media" for p in phases), phases


ROOM_SOCKET_PUBLISH = """async ({room, token}) => {
  const camera = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}, audio: true});
  window.room = new window.peerlearn.Room(location.origin, room, token, {});
  await window.room.ready;
  await window.room.publish(camera);
  return window.room.me.userId;
}"""


def test_a_room_socket_join_is_traced_under_its_publish_message(traced, browser):
    """Chromium joins over the room WebSocket (the web app's way) and publishes: the relay's join, with its ICE,
    DTLS and first-media phases, is traced under the socket's `room_socket.publish` span."""
    server, collector = traced
    session, mentor_token, _ = live_session(server, learners=0)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.base_url + "/relay-demo.html")
        page.wait_for_function("window.peerlearn !== undefined")
        page.evaluate(ROOM_SOCKET_PUBLISH, {"room": session["meeting_room_id"],
                                            "token": room_token(server, session, mentor_token)})

        def published():
            spans = collector.by_id()
            return [(span, spans.get(span["parent"])) for span in collector.named("relay.join")
                    if spans.get(span["parent"], {}).get("name") == "room_socket.publish"
                    and span["attributes"].get("peerlearn.room.id") == session["meeting_room_id"]]

        assert collector.wait_for(published, timeout=30), [s["name"] for s in collector.spans]
        ((join, publish),) = published()
        assert publish["kind"] == 2 and publish["attributes"]["peerlearn.room.id"] == session["meeting_room_id"]
        assert join["attributes"]["peerlearn.join.outcome"] == "media" and join["attributes"]["peerlearn.role"] == "host"
        phases = sorted((s for s in collector.by_id().values() if s["parent"] == join["id"]), key=lambda s: s["start"])
        assert [p["name"] for p in phases] == ["relay.join.ice", "relay.join.dtls", "relay.join.first_media"], phases
    finally:
        context.close()
