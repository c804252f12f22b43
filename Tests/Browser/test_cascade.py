"""A lecture bigger than one node (issue 14 point 3): the control plane sends learners past the origin node's
capacity to an edge node, which pulls the lecture from the origin over WHEP with a relay credential (a cascade
pipe) and fans it out again. The load tester's viewers on both nodes see the mentor's media; only people are
in the attendance.

Needs PostgreSQL (scripts/test starts one and exports PEERLEARN_TEST_POSTGRES_URL).
"""
import json
import pathlib
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import Server
from test_relay_nodes import POSTGRES_URL, database_env, gauge, sql, start_node, wait_for
from test_webapp import start_server, stop_server

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (PEERLEARN_TEST_POSTGRES_URL)")


@pytest.fixture(scope="module")
def cluster():
    """The control plane and two nodes that each take 4 participants before placement looks elsewhere."""
    schema = "cascade_" + uuid.uuid4().hex[:12]
    data_dir = tempfile.mkdtemp(prefix="peerlearn-cascade-")
    process, base_url, log_path = start_server(data_dir, env_extra=database_env(schema))
    nodes = {}
    try:
        for name in ("node-a", "node-b"):
            nodes[name] = start_node(name, data_dir, schema, extra_args=("--capacity", "4"))
        server = Server(base_url, None, process, data_dir, log_path)
        server.schema = schema
        # A node says it joins just before its first heartbeat lands.
        assert wait_for(lambda: sql(server, "SELECT count(*) FROM relay_nodes") == "2", timeout=15)
        yield server, nodes
    finally:
        for node in nodes.values():
            stop_server(node["process"])
        stop_server(process)


def test_learners_past_the_origins_capacity_watch_through_an_edge_that_pipes_the_lecture(cluster):
    from test_load_tester import LOAD
    server, nodes = cluster
    out = pathlib.Path(tempfile.mkdtemp()) / "result.json"
    completed = subprocess.run(
        [str(LOAD), "lecture", "--viewers", "6", "--video-kbps", "400", "--url", server.base_url, "--duration", "6",
         "--json", str(out)], capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(out.read_text())
    # Every viewer joined and got the mentor's media, whichever node it was sent to.
    assert result["joined"] == 6 and result["lossPercent"] < 1.0, result
    logs = {name: open(node["log"]).read() for name, node in nodes.items()}
    edges = [name for name, log in logs.items() if "cascade pipe open" in log]
    assert len(edges) == 1, logs
    origin = next(name for name in nodes if name not in edges)
    # The origin sent one stream to the edge, not one per edge viewer; the edge forwarded to its viewers.
    assert gauge(nodes[edges[0]]["url"], "peerlearn_relay_rtp_forwarded_total") > 2 * 6 * 50
    # Attendance holds the seven people (a mentor, six learners) and nobody for the pipe's two ends.
    joined = int(sql(server, f"SELECT count(DISTINCT user_id) FROM participant_statistics"))
    assert joined == 7, joined
    by_node = dict(line.split("|") for line in sql(
        server, "SELECT node_id, count(*) FROM participant_statistics GROUP BY node_id").splitlines())
    assert int(by_node.get(origin, 0)) >= 4 and int(by_node.get(edges[0], 0)) >= 2, by_node
