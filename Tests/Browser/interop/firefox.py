"""Debian's Firefox ESR, headless, driven through Marionette, its own remote protocol.

Playwright drives only its own patched Firefox builds, so this speaks Marionette directly: a TCP
socket carrying `length:json` messages. The client sends `[0, id, command, params]` and gets
`[1, id, error, result]`. The commands are WebDriver's (`WebDriver:NewSession`,
`WebDriver:Navigate`, `WebDriver:ExecuteScript`, which awaits a returned promise).
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"

# Fake camera and microphone without a prompt; host candidates on loopback; and nothing fetched
# from outside (updates, telemetry, remote settings, safe browsing, the OpenH264 plug-in): a proxy
# that refuses everything except loopback, which Firefox never proxies.
PREFS = {
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.no_host": False,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.autoplay.default": 0,
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.allow_hijacking_localhost": False,
    "network.dns.forceResolve": "127.0.0.1",
    "network.dns.disablePrefetch": True,
    "network.dns.native_https_query": False,
    "network.trr.mode": 5,
    "network.http.speculative-parallel-limit": 0,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "media.gmp-manager.url": "data:text/plain,",
    "media.gmp-gmpopenh264.enabled": False,
    "dom.push.connection.enabled": False,
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MarionetteError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox with a fresh profile, and a Marionette session in it."""

    def __init__(self, startup_timeout=60):
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="peerlearn-firefox-"))
        port = free_port()
        prefs = dict(PREFS, **{"marionette.port": port})
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()))
        self.log_path = self.profile / "firefox.log"
        # MOZ_REMOTE_SETTINGS_DEVTOOLS: release builds honour services.settings.server only with it.
        env = dict(os.environ, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1", MOZ_REMOTE_SETTINGS_DEVTOOLS="1")
        self.process = subprocess.Popen(
            [FIREFOX, "--marionette", "-remote-allow-system-access", "--headless", "--no-remote",
             "-profile", str(self.profile), "about:blank"],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT, env=env)
        self.next_id = 0
        self.socket = self.connect(port, startup_timeout)
        hello = self.read()
        if hello.get("marionetteProtocol") != 3:
            raise MarionetteError(f"unexpected Marionette greeting {hello}")
        self.capabilities = self.command("WebDriver:NewSession", {"capabilities": {}})["capabilities"]
        self.command("WebDriver:SetTimeouts", {"script": 60000})

    @property
    def version(self):
        return self.capabilities.get("browserVersion")

    def connect(self, port, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise MarionetteError(f"firefox exited ({self.process.returncode}):\n{self.log()}")
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=90)
            except OSError:
                time.sleep(0.2)
        raise MarionetteError(f"Marionette did not listen within {timeout} s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def read(self):
        header = b""
        while not header.endswith(b":"):
            byte = self.socket.recv(1)
            if not byte:
                raise MarionetteError("Marionette closed the connection:\n" + self.log())
            header += byte
        length = int(header[:-1])
        body = b""
        while len(body) < length:
            chunk = self.socket.recv(length - len(body))
            if not chunk:
                raise MarionetteError("Marionette closed the connection mid-message")
            body += chunk
        return json.loads(body)

    def command(self, name, params=None):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.socket.sendall(str(len(data)).encode() + b":" + data)
        while True:
            kind, message_id, error, result = self.read()
            if kind == 1 and message_id == self.next_id:
                break
        if error:
            raise MarionetteError(f"{name}: {error.get('error')}: {error.get('message')}\n{error.get('stacktrace', '')[:1500]}")
        return result

    def grant_camera_and_microphone(self, origin):
        """A lasting camera and microphone permission for `origin`, as a person's "Remember" would give.

        Without one, Firefox gathers ICE candidates on the default route's addresses only (RFC 8828
        mode 2), and a fake device's capture does not count as capturing: no 127.0.0.1 candidate, and
        nICEr never pairs a non-loopback local candidate with the relay's loopback one.
        """
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            self.command("WebDriver:ExecuteScript", {"args": [origin], "script": """
                const principal = Services.scriptSecurityManager.createContentPrincipalFromOrigin(arguments[0]);
                for (const type of ["camera", "microphone"]) {
                  Services.perms.addFromPrincipal(principal, type, Services.perms.ALLOW_ACTION);
                }"""})
        finally:
            self.command("Marionette:SetContext", {"value": "content"})

    def navigate(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def evaluate(self, function_source, argument=None):
        """Runs `(function_source)(argument)` in the page and returns its (awaited) value."""
        script = f"return ({function_source})(arguments[0]);"
        return self.command("WebDriver:ExecuteScript", {"script": script, "args": [argument]})["value"]

    def wait_for(self, function_source, argument=None, timeout=15.0, interval=0.2):
        deadline = time.time() + timeout
        while True:
            value = self.evaluate(function_source, argument)
            if value or time.time() > deadline:
                return value
            time.sleep(interval)

    def close(self):
        try:
            self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (MarionetteError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.socket.close()
        shutil.rmtree(self.profile, ignore_errors=True)
