"""The stack both sides of the benchmark run against, started the way the
README documents it for anything heavier than a demo:

- ``python -m emulators``: the local Cognito and the local Authsignal, each in
  its own process, writing the app's settings to an env file (here in a
  temporary folder, with fresh state, so a developer's ``instance/local`` is
  never touched and every run starts from the same empty pool);
- a real ``redis-server`` (``SESSION_REDIS_URL``), configured never to evict;
- the app under the shipped ``gunicorn.conf.py`` with ``-w 4``, its
  environment being exactly that env file (what ``dotenv -f ... run --`` does)
  plus Redis and the rate limits raised (see :data:`BENCH_LIMITS`);
- a tiny static server for the guide's SPA (bench/build/spa.js), whose
  ``index.html`` carries the same emulators' settings (its Cognito endpoint
  being the latency proxy's while the browser runs with latency added:
  bench/latency_proxy.py, bench/browser_side_by_side.py).

Every server listens on a free loopback port; nothing else is ever a target.
It also reads the CPU time of each process tree from /proc, which is how
bench/load.py charges CPU to the app, Redis and each emulator.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SPA_SOURCE = BENCH / "spa"
SPA_BUNDLE = BENCH / "build" / "spa.js"
GUNICORN = Path(sys.executable).parent / "gunicorn"
GUNICORN_WORKERS = 4
START_TIMEOUT_SECONDS = 60

#: The app's abuse limits count per client address and per email, and all load
#: comes from 127.0.0.1: left as shipped, the benchmark would measure 429s.
#: Raised, the limiter still runs (and counts in Redis) on every request.
BENCH_LIMITS = {
    "SIGN_IN_RATE_LIMIT": "1000000 per minute",
    "SIGN_IN_EMAIL_RATE_LIMIT": "1000000 per minute",
    "NEW_USER_RATE_LIMIT": "1000000 per minute",
}


class StackError(RuntimeError):
    pass


# ----- CPU accounting ------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; it ends at the last ")".
    return text[text.rindex(")") + 2:].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """``pid`` and every live process under it."""
    tree, found, queue = _children(), [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(tree.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process tree: the root's own and its reaped
    children's (so a worker that exited is still counted), plus each live
    descendant's own."""
    total = 0.0
    for index, member in enumerate(descendants(pid)):
        fields = _stat(member)
        if not fields:
            continue
        # After the command name: utime, stime, cutime, cstime are fields 12..15 (0-based 11..14).
        ticks = int(fields[11]) + int(fields[12])
        if index == 0:
            ticks += int(fields[13]) + int(fields[14])
        total += ticks / CLOCK_TICKS
    return total


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idling, from /proc/stat: what
    the benchmark's processes used, minus that, is what other processes took."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wait_until_quiet(max_wait: float, threshold_percent: float = 15.0) -> float:
    """Wait, at most ``max_wait`` seconds, for a second in which the machine
    is mostly idle, so that another program's burst (a test suite, a build) is
    not measured as ours; the busy percentage of the last second seen."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_seconds()
        time.sleep(1)
        busy = 100 * (machine_busy_seconds() - before) / cores
        if busy < threshold_percent or time.monotonic() >= deadline:
            return busy


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# ----- the servers ----------------------------------------------------------------------------
def _clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without service settings or a developer's .env."""
    keep = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("COGNITO_", "AUTHSIGNAL_", "FLASK_", "SESSION_", "LOCAL_", "SIGN_IN_", "NEW_USER_"))
        and key not in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "UPSTREAM_DEADLINE_SECONDS", "BEHIND_PROXY")
    }
    return {**keep, "FLASK_SKIP_DOTENV": "1", **settings}


def _read_env_file(path: Path) -> dict[str, str]:
    settings = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def _wait_for(url: str, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{what} exited at start:\n{_tail(log)}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise StackError(f"{what} did not answer {url} within {START_TIMEOUT_SECONDS} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class _SpaHandler(SimpleHTTPRequestHandler):
    """Static files, HTTP/1.1 keep-alive (as any static host), no access log."""

    protocol_version = "HTTP/1.1"
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def setup(self):
        super().setup()
        # Headers and body are two writes: without this, Nagle holds a small
        # body until the client's delayed ACK (up to 40 ms), as no CDN does.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        pass


@dataclass
class Urls:
    app: str
    spa: str
    cognito: str
    authsignal_origin: str

    @property
    def authsignal_base(self) -> str:
        return f"{self.authsignal_origin}/v1"

    @property
    def dev_inbox(self) -> str:
        return f"{self.authsignal_origin}/_dev/inbox.json"

    def label(self, origin: str) -> str:
        """Who an origin is, for the request lists."""
        names = {
            self.app: "app", self.spa: "spa", self.cognito: "cognito", self.authsignal_origin: "authsignal",
        }
        return names.get(origin.rstrip("/"), origin)


class Stack:
    """Start everything in :meth:`__enter__`, stop all of it (and only it) in
    :meth:`__exit__`. Logs are kept in the temporary folder until then."""

    def __init__(self, keep_logs: Path | None = None):
        self.keep_logs = keep_logs
        self.directory = Path(tempfile.mkdtemp(prefix="bench-stack-"))
        self.emulators: subprocess.Popen | None = None
        self.redis: subprocess.Popen | None = None
        self.gunicorn: subprocess.Popen | None = None
        self._spa_server: ThreadingHTTPServer | None = None
        self.settings: dict[str, str] = {}
        self.urls: Urls | None = None
        self.versions: dict[str, str] = {}

    # -- lifecycle --
    def __enter__(self) -> "Stack":
        try:
            self._start_emulators()
            self._start_redis()
            self._start_gunicorn()
            self._start_spa_server()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._spa_server is not None:
            self._spa_server.shutdown()
            self._spa_server.server_close()
        _stop(self.gunicorn)
        _stop(self.redis)
        _stop(self.emulators)
        if self.keep_logs is not None:
            self.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in self.directory.glob("*.log"):
                shutil.copy(log, self.keep_logs / log.name)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _log(self, name: str):
        return open(self.directory / f"{name}.log", "w")

    def _start_emulators(self) -> None:
        cognito_port, authsignal_port = free_port(), free_port()
        env_file = self.directory / "emulators.env"
        with self._log("emulators") as log:
            self.emulators = subprocess.Popen(
                [sys.executable, "-m", "emulators", "--state-dir", str(self.directory / "state"),
                 "--env-file", str(env_file), "--cognito-port", str(cognito_port),
                 "--authsignal-port", str(authsignal_port)],
                cwd=ROOT, env=_clean_environment(PYTHONUNBUFFERED="1"), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not env_file.exists():  # written once both answer
            if self.emulators.poll() is not None or time.monotonic() > deadline:
                raise StackError(f"python -m emulators did not start:\n{_tail(self.directory / 'emulators.log')}")
            time.sleep(0.1)
        self.settings = _read_env_file(env_file)
        self.urls = Urls(
            app="", spa="", cognito=self.settings["COGNITO_ENDPOINT_URL"],
            authsignal_origin=self.settings["AUTHSIGNAL_URL"].removesuffix("/v1"),
        )

    def _start_redis(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise StackError("redis-server is not installed (scripts/ensure-servers installs it)")
        self.redis_port = free_port()
        with self._log("redis") as log:
            self.redis = subprocess.Popen(
                [executable, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory), "--maxmemory-policy", "noeviction"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.redis.poll() is not None or time.monotonic() > deadline:
                raise StackError(f"redis-server did not start:\n{_tail(self.directory / 'redis.log')}")
            time.sleep(0.05)

    def app_environment(self) -> dict[str, str]:
        """The env file's settings, as ``dotenv -f emulators.env run --`` would
        give them, plus Redis and :data:`BENCH_LIMITS`."""
        return _clean_environment(**self.settings, SESSION_REDIS_URL=self.redis_url, **BENCH_LIMITS)

    def _start_gunicorn(self) -> None:
        port = free_port()
        self.urls.app = f"http://127.0.0.1:{port}"
        self.gunicorn_command = [
            str(GUNICORN), "--bind", f"127.0.0.1:{port}", "-w", str(GUNICORN_WORKERS), "wsgi:app",
        ]
        with self._log("gunicorn") as log:
            self.gunicorn = subprocess.Popen(
                self.gunicorn_command, cwd=ROOT, env=self.app_environment(), stdout=log, stderr=subprocess.STDOUT,
            )
        _wait_for(self.urls.app + "/static/app.css", self.gunicorn, "gunicorn", self.directory / "gunicorn.log")
        # Every worker booted (the master answers as soon as one has).
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while len(descendants(self.gunicorn.pid)) < GUNICORN_WORKERS + 1:
            if time.monotonic() > deadline:
                raise StackError(f"gunicorn did not boot {GUNICORN_WORKERS} workers")
            time.sleep(0.1)

    def _start_spa_server(self) -> None:
        if not SPA_BUNDLE.is_file():
            raise StackError(f"{SPA_BUNDLE.relative_to(ROOT)} is missing: `make bench` bundles it (esbuild)")
        site = self.directory / "spa"
        site.mkdir()
        shutil.copy(SPA_BUNDLE, site / "spa.js")
        self.write_spa_page(self.settings["COGNITO_ENDPOINT_URL"])

        def handler(*args, **kwargs):
            return _SpaHandler(*args, directory=str(site), **kwargs)

        self._spa_server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._spa_server.daemon_threads = True
        threading.Thread(target=self._spa_server.serve_forever, daemon=True).start()
        self.urls.spa = f"http://127.0.0.1:{self._spa_server.server_address[1]}"

    def write_spa_page(self, cognito_endpoint: str) -> None:
        """The SPA's index.html, its Amplify config's ``userPoolEndpoint``
        being ``cognito_endpoint``: the local Cognito, or the latency proxy in
        front of it (bench/latency_proxy.py) while the browser runs with added
        latency."""
        config = {
            "userPoolId": self.settings["COGNITO_USER_POOL_ID"],
            "userPoolClientId": self.settings["COGNITO_CLIENT_ID"],
            "userPoolEndpoint": cognito_endpoint,
            "tenantId": self.settings["AUTHSIGNAL_TENANT_ID"],
            "baseUrl": self.settings["AUTHSIGNAL_URL"],
        }
        page = (SPA_SOURCE / "index.html").read_text()
        (self.directory / "spa" / "index.html").write_text(
            page.replace("{{CONFIG}}", json.dumps(config).replace("<", "\\u003c")))

    # -- CPU of each part --
    def emulator_pid(self, module: str) -> int | None:
        """The process of ``emulators.cognito`` or ``emulators.authsignal``."""
        for pid in descendants(self.emulators.pid)[1:]:
            if f"-m {module} " in command_line(pid) + " ":
                return pid
        return None

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the app (gunicorn master and workers), Redis,
        and each emulator."""
        return {
            "app": cpu_seconds(self.gunicorn.pid),
            "redis": cpu_seconds(self.redis.pid),
            "cognito": cpu_seconds(self.emulator_pid("emulators.cognito")),
            "authsignal": cpu_seconds(self.emulator_pid("emulators.authsignal")),
        }

    def check_running(self) -> None:
        for name, process in (("emulators", self.emulators), ("redis", self.redis), ("gunicorn", self.gunicorn)):
            if process is None or process.poll() is not None:
                raise StackError(f"{name} stopped:\n{_tail(self.directory / f'{name}.log')}")
