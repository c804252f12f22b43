"""Relay nodes (issue 14 point 1): `peerlearn relay` processes register with the shared PostgreSQL database and
heartbeat; the control plane places each room on the least loaded live node and the room-token answer names
it; the web app signals there; a session's end reaches the node holding its room through LISTEN/NOTIFY; a
node that shuts down leaves the registry and its rooms are placed afresh.

Needs PostgreSQL (scripts/test starts one and exports PEERLEARN_TEST_POSTGRES_URL).
"""
import os
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from conftest import BINARY, ROOT, Server, free_port
from test_webapp import DECODING_FROM_ALL, app, join_room, live_session_with, start_server, stop_server, unique  # noqa: F401

POSTGRES_URL = os.environ.get("PEERLEARN_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (PEERLEARN_TEST_POSTGRES_URL)")


def database_env(schema):
    return {"PEERLEARN_DATABASE_URL": POSTGRES_URL, "PEERLEARN_DATABASE_SCHEMA": schema}


def sql(server, query):
    """One value from the cluster's schema, through psql."""
    completed = subprocess.run(
        ["psql", POSTGRES_URL.split("?")[0], "-At", "-v", "ON_ERROR_STOP=1", "-c", query],
        env=dict(os.environ, PGOPTIONS=f"-c search_path={server.schema}"), capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@pytest.fixture(scope="module")
def cluster():
    """`peerlearn serve` (the control plane) and two relay nodes on one PostgreSQL schema of their own."""
    schema = "nodes_" + uuid.uuid4().hex[:12]
    data_dir = tempfile.mkdtemp(prefix="peerlearn-nodes-")
    process, base_url, log_path = start_server(data_dir, env_extra=database_env(schema))
    nodes = {}
    try:
        for name in ("node-a", "node-b"):
            nodes[name] = start_node(name, data_dir, schema)
        server = Server(base_url, None, process, data_dir, log_path)
        server.schema = schema
        yield server, nodes
    finally:
        for node in nodes.values():
            stop_server(node["process"])
        stop_server(process)


def start_node(name, data_dir, schema, extra_args=()):
    http_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    url = f"http://127.0.0.1:{http_port}"
    log_path = os.path.join(data_dir, f"{name}.log")
    env = dict(os.environ, PEERLEARN_DATA_DIRECTORY=data_dir, PEERLEARN_RELAY_PORT=str(udp_port), **database_env(schema))
    process = subprocess.Popen(
        [str(BINARY), "relay", "--config", str(ROOT / "config" / "peerlearn.json"), "--port", str(http_port),
         "--node-id", name, "--public-url", url, *extra_args],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        assert process.poll() is None, open(log_path).read()
        if "joins the registry" in open(log_path).read():
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    return {"process": process, "url": url, "log": log_path}
            except requests.RequestException:
                pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{name} did not come up:\n" + open(log_path).read())


def gauge(url, name):
    for line in requests.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError(f"{name} not in {url}/metrics")


def placed_on(server, session, token):
    answer = server.api("POST", f"/api/sessions/{session['id']}/room-token", token)
    assert answer.status_code == 200, answer.text
    return answer.json().get("relay")


def wait_for(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


@pytest.fixture(scope="module")
def server(cluster):
    return cluster[0]


def test_rooms_are_placed_on_nodes_the_web_app_follows_and_ended_there(cluster, app):  # noqa: F811
    server, nodes = cluster
    first, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(server, unique("nodes"))
    # The first room goes to a node (both are idle: the id decides), and stays there for every join.
    relay = wait_for(lambda: placed_on(server, first, mentor_auth["access_token"]), timeout=15)
    assert relay and relay["node_id"] == "node-a", relay
    assert relay["url"] == nodes["node-a"]["url"]
    assert relay["whip_url"] == nodes["node-a"]["url"] + "/whip/" + first["meeting_room_id"], relay
    assert placed_on(server, first, learner_auth["access_token"])["node_id"] == "node-a", "the room is sticky"
    # A second room goes to the node with fewer rooms.
    second, (second_mentor, _), _ = live_session_with(server, unique("nodes"))
    assert placed_on(server, second, second_mentor["access_token"])["node_id"] == "node-b"

    # The web app signals where the token says: its media and room sockets are on node-a, none on serve's relay.
    mentor = app(f"/sessions/{first['id']}", init_script=mentor_script)
    learner = app(f"/sessions/{first['id']}", init_script=learner_script)
    join_room(mentor, first["id"])
    join_room(learner, first["id"])
    assert learner.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"], "the learner sees the mentor"
    assert gauge(nodes["node-a"]["url"], "peerlearn_relay_participants") >= 2
    assert gauge(server.base_url, "peerlearn_relay_participants") == 0
    # Its heartbeat reports the load: the next room avoids the busy node.
    third, (third_mentor, _), _ = live_session_with(server, unique("nodes"))
    time.sleep(2.5)  # one heartbeat
    assert placed_on(server, third, third_mentor["access_token"])["node_id"] == "node-b"

    # Completing the session in the control plane ends the room on node-a (NOTIFY with the commit).
    started = time.monotonic()
    completed = server.api("POST", f"/api/sessions/{first['id']}/complete", mentor_auth["access_token"])
    assert completed.status_code == 200, completed.text
    expect(learner.locator("#session-ended")).to_have_text("The session has ended.", timeout=5000)
    assert time.monotonic() - started < 5
    assert wait_for(lambda: gauge(nodes["node-a"]["url"], "peerlearn_relay_participants") == 0, timeout=5)
    assert "session ended: closing its room" in open(nodes["node-a"]["log"]).read()
    # The node reported the attendance to the shared database: both connections, their media, their departure.
    def reported():
        view = server.api("GET", f"/api/sessions/{first['id']}/statistics", mentor_auth["access_token"]).json()
        return view if view["participant_count"] >= 2 and view["bytes_in"] > 0 else None
    view = wait_for(reported, timeout=10)
    assert view, server.api("GET", f"/api/sessions/{first['id']}/statistics", mentor_auth["access_token"]).text
    assert sql(server, f"SELECT count(*) FROM participant_statistics WHERE node_id = 'node-a' AND left_at IS NULL") == "0"

    # node-b shuts down: it leaves the registry, and its rooms go to the node that is left at once.
    stop_server(nodes["node-b"]["process"])
    assert "left the registry" in open(nodes["node-b"]["log"]).read()
    assert placed_on(server, second, second_mentor["access_token"])["node_id"] == "node-a"
    assert placed_on(server, third, third_mentor["access_token"])["node_id"] == "node-a"


def test_the_load_tester_signals_to_the_node_its_token_names(cluster):
    from test_load_tester import LOAD
    import json
    import pathlib
    server, nodes = cluster
    live = [name for name, node in nodes.items() if node["process"].poll() is None]
    before = {name: gauge(nodes[name]["url"], "peerlearn_relay_rtp_forwarded_total") for name in live}
    own_before = gauge(server.base_url, "peerlearn_relay_rtp_forwarded_total")
    out = pathlib.Path(tempfile.mkdtemp()) / "result.json"
    completed = subprocess.run(
        [str(LOAD), "lecture", "--viewers", "3", "--video-kbps", "400", "--url", server.base_url, "--duration", "3",
         "--json", str(out)], capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(out.read_text())
    assert result["joined"] == 3 and result["lossPercent"] < 1.0, result
    forwarded = {name: gauge(nodes[name]["url"], "peerlearn_relay_rtp_forwarded_total") - before[name] for name in live}
    # One publisher's video and audio to three viewers for 3 s, all of it through a node.
    assert sum(forwarded.values()) > 3 * 3 * 50, forwarded
    assert gauge(server.base_url, "peerlearn_relay_rtp_forwarded_total") == own_before, "nothing through serve's relay"


def test_a_node_killed_mid_lecture_closes_its_connections_when_it_comes_back(cluster):
    from test_load_tester import LOAD
    server, nodes = cluster
    nodes["node-c"] = node = start_node("node-c", server.data_dir, server.schema)
    # The load tester's lecture is placed on the idle node with the fewest rooms: node-c.
    load = subprocess.Popen(
        [str(LOAD), "lecture", "--viewers", "3", "--video-kbps", "300", "--url", server.base_url, "--duration", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: gauge(node["url"], "peerlearn_relay_participants") >= 4, timeout=30)
        # Joins and a 5-s snapshot reach the database through the node's spool.
        opened = "SELECT count(*) FROM participant_statistics WHERE node_id = 'node-c' AND left_at IS NULL AND seconds_in_room > 0"
        assert wait_for(lambda: int(sql(server, opened)) >= 4, timeout=15), sql(server, opened)
        node["process"].kill()  # SIGKILL: no departures
        node["process"].wait()
    finally:
        load.kill()
        load.wait()
    still_open = "SELECT count(*) FROM participant_statistics WHERE node_id = 'node-c' AND left_at IS NULL"
    assert int(sql(server, still_open)) >= 4, "nobody told the database they left"
    # The node comes back (same id, same spool): its earlier run's connections are closed where their last
    # snapshot ended, and nothing it had spooled is lost or doubled.
    nodes["node-c"] = start_node("node-c", server.data_dir, server.schema)
    assert wait_for(lambda: sql(server, still_open) == "0", timeout=15), sql(server, still_open)
    ends = sql(server, "SELECT count(*) FROM participant_statistics WHERE node_id = 'node-c' AND left_at IS NOT NULL")
    assert int(ends) >= 4
    duplicates = sql(server, "SELECT count(*) - count(DISTINCT connection_key) FROM participant_statistics WHERE node_id = 'node-c'")
    assert duplicates == "0"


REJOINED_AND_DECODING = """async ({timeoutMs}) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const page = window.peerlearnRoomPage;
    if (page && page.room && page.room !== window.roomBeforeTheKill) {
      const summaries = await page.room.receiving();
      const users = Object.keys(summaries);
      if (users.length >= 1 && users.every((u) => summaries[u].camera && summaries[u].camera.framesDecoded > 5)) return true;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return false;
}"""


def test_when_a_node_dies_the_web_app_resumes_on_another_and_attendance_follows(cluster, app):  # noqa: F811
    server, nodes = cluster
    session, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(server, unique("failover"))
    placed = placed_on(server, session, mentor_auth["access_token"])["node_id"]
    node = nodes[placed]
    mentor = app(f"/sessions/{session['id']}", init_script=mentor_script)
    learner = app(f"/sessions/{session['id']}", init_script=learner_script)
    join_room(mentor, session["id"])
    join_room(learner, session["id"])
    assert learner.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"]
    on_node = f"SELECT count(*) FROM participant_statistics WHERE node_id = '{placed}' AND left_at IS NULL"
    assert wait_for(lambda: int(sql(server, on_node)) >= 2, timeout=10)

    for page in (mentor, learner):
        page.evaluate("() => { window.roomBeforeTheKill = window.peerlearnRoomPage.room; }")
    killed = time.monotonic()
    node["process"].kill()
    node["process"].wait()
    # Both pages rejoin on their own (a fresh token names a live node) and the learner sees the mentor again.
    assert learner.evaluate(REJOINED_AND_DECODING, {"timeoutMs": 45000}), "the learner sees the mentor again"
    recovered = time.monotonic() - killed
    print(f"\nnode {placed} killed: the learner decoded the mentor again after {recovered:.1f} s")
    moved = placed_on(server, session, learner_auth["access_token"])["node_id"]
    assert moved != placed
    # The control plane noticed the silence: the dead node's connections ended, and new ones run on the new node.
    assert wait_for(lambda: sql(server, on_node) == "0", timeout=15), sql(server, on_node)
    assert wait_for(lambda: int(sql(server, f"SELECT count(*) FROM participant_statistics WHERE node_id = '{moved}' "
                                            f"AND left_at IS NULL AND session_id IN (SELECT id FROM sessions "
                                            f"WHERE meeting_room_id = '{session['meeting_room_id']}')")) >= 2, timeout=15)
    assert recovered < 40
