"""Fixtures for the browser tests: a real `peerlearn serve` on loopback and Debian's headless Chromium.

The server runs from the debug build (`swift build` first; scripts/test does it) with a throwaway data
directory, free ports, and a cheap bcrypt cost so sign-ups are quick.
"""
import json
import math
import os
import pathlib
import socket
import struct
import subprocess
import tempfile
import time
import wave

import pytest
import requests
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / ".build" / "debug" / "peerlearn"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "browser"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base_url, relay_port, process, data_dir, log_path):
        self.base_url = base_url
        self.relay_port = relay_port
        self.process = process
        self.data_dir = data_dir
        self.log_path = log_path

    def api(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base_url + path, headers=headers, timeout=15, **kwargs)

    def register(self, username, role):
        response = self.api("POST", "/api/auth/register", json={
            "username": username, "email": f"{username}@example.org", "password": "s3cret-Passw0rd",
            "role": role, "first_name": username.capitalize(), "last_name": "Tester",
        })
        assert response.status_code == 201, response.text
        return response.json()["access_token"], response.json()["user"]["id"]

    def log(self):
        return pathlib.Path(self.log_path).read_text(errors="replace")


def launch_server(*arguments, **extra_env):
    """A `peerlearn serve` on fresh ports and a fresh data directory, up and answering /healthz."""
    assert BINARY.exists(), f"{BINARY} missing: run `swift build` first"
    data_dir = tempfile.mkdtemp(prefix="peerlearn-browser-")
    http_port, relay_port = free_port(), free_port(socket.SOCK_DGRAM)
    env = dict(os.environ,
               PEERLEARN_DATA_DIRECTORY=data_dir, PEERLEARN_HTTP_PORT=str(http_port),
               PEERLEARN_RELAY_PORT=str(relay_port), PEERLEARN_BCRYPT_COST="4",
               PEERLEARN_DATABASE_URL="", **extra_env)
    log_path = os.path.join(data_dir, "server.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [str(BINARY), "serve", "--config", str(ROOT / "config" / "peerlearn.json"),
         "--public-directory", str(ROOT / "Public"), *arguments],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{http_port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited:\n" + pathlib.Path(log_path).read_text())
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("server did not come up:\n" + pathlib.Path(log_path).read_text())
    return Server(base_url, relay_port, process, data_dir, log_path)


def stop_server(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server():
    running = launch_server()
    yield running
    stop_server(running)


def tone_wav(path, seconds=10, frequency=440):
    """A non-silent microphone for the fake capture device."""
    rate = 48000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * i / rate)))
            for i in range(rate * seconds)))


@pytest.fixture(scope="session")
def browser():
    wav = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
    tone_wav(wav)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
                f"--use-file-for-fake-audio-capture={wav}",
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ])
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser, server):
    contexts = []

    def make():
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(server.base_url + "/relay-demo.html")
        page.wait_for_function("window.peerlearn !== undefined")
        return page

    yield make
    for context in contexts:
        context.close()
