"""`peerlearn serve` refusing to start is an orderly exit with the reason, never a crash."""
import os
import signal
import socket
import subprocess
import tempfile

from conftest import BINARY, ROOT, free_port


def test_a_taken_relay_port_is_a_clear_error_not_a_trap():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    data_dir = tempfile.mkdtemp(prefix="peerlearn-startup-")
    env = dict(os.environ, PEERLEARN_DATA_DIRECTORY=data_dir, PEERLEARN_HTTP_PORT=str(free_port()),
               PEERLEARN_RELAY_PORT=str(taken.getsockname()[1]), PEERLEARN_BCRYPT_COST="4")
    try:
        run = subprocess.run([str(BINARY), "serve", "--config", str(ROOT / "config" / "peerlearn.json")],
                             env=env, capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    output = run.stdout + run.stderr
    # A Swift trap would end with SIGILL/SIGTRAP (a negative return code) and a stack trace.
    assert run.returncode not in (-signal.SIGILL, -signal.SIGTRAP, -signal.SIGABRT, -signal.SIGSEGV), output[-3000:]
    assert run.returncode != 0
    assert "Fatal error" not in output, output[-3000:]
    assert "in use" in output.lower() or "address" in output.lower(), output[-3000:]
