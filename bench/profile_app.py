"""``python -m bench.profile_app`` (``make bench-profile``): where the app's
CPU per sign-in goes, by package, so the benchmark's "app CPU per sign-in"
has an explanation and any work to lower it a target.

Why in-process: the load test charges CPU to whole processes; cProfile needs
the app's own thread. The emulators run in their own processes
(``python -m emulators``, fresh state in a temporary folder), the app in this
one with the Flask test client and the file session store, and every
upstream call runs inline (not on the deadline's thread pool) so the profile
sees it. Each sign-in is the load test's: ``GET /``, ``POST /api/sign-in``,
the popup's email-code calls (not profiled: they are Authsignal's), then
``POST /api/confirm``. The CPU per sign-in is measured once without the
profiler (``time.process_time``, which includes the test client's small
share), then the shares with it. Writes ``bench/results/profile.md``.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from dotenv import dotenv_values

from tests.support.ports import free_port

from .stack import ROOT

WAITING = "waiting (sockets, locks)"
RAISED_LIMITS = {name: "1000000 per minute" for name in
                 ("SIGN_IN_RATE_LIMIT", "SIGN_IN_EMAIL_RATE_LIMIT", "NEW_USER_RATE_LIMIT")}


def start_emulators(state: Path) -> tuple[subprocess.Popen, dict]:
    cognito, authsignal = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators", "--state-dir", str(state),
         "--cognito-port", str(cognito), "--authsignal-port", str(authsignal)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    env_file = state / "emulators.env"
    deadline = time.monotonic() + 60
    while not env_file.is_file():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("python -m emulators did not start")
        time.sleep(0.1)
    return process, dict(dotenv_values(env_file))


def inline_upstream_calls() -> None:
    """Run upstream calls on the request's thread, where cProfile looks."""
    import app.authsignal_api
    import app.cognito
    import app.deadline
    import app.signed_in_page

    class Done:
        def __init__(self, function, *args):
            try:
                self.value, self.error = function(*args), None
            except Exception as exc:  # kept for result(), as a Future would
                self.value, self.error = None, exc

    def call_result(done):
        if done.error:
            raise done.error
        return done.value

    def inline(function, *args, **kwargs):
        return function(*args, **kwargs)

    app.cognito.run_within_deadline = app.authsignal_api.run_within_deadline = inline
    app.signed_in_page.start_call, app.signed_in_page.call_result = Done, call_result


class SignIns:
    def __init__(self, flask_app, authsignal_url: str):
        self.app, self.api = flask_app, authsignal_url
        self.origin = authsignal_url.rsplit("/v1", 1)[0]
        self.cpu = 0.0
        self.profile: cProfile.Profile | None = None

    def _timed(self, call):
        started = time.process_time()
        if self.profile:
            self.profile.enable()
        try:
            return call()
        finally:
            if self.profile:
                self.profile.disable()
            self.cpu += time.process_time() - started

    def one(self) -> None:
        client, email = self.app.test_client(), f"profile-{uuid.uuid4().hex[:12]}@example.com"
        page = self._timed(lambda: client.get("/")).get_data(as_text=True)
        headers = {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}
        started = self._timed(lambda: client.post("/api/sign-in", json={"email": email}, headers=headers))
        token = parse_qs(urlsplit(started.get_json()["url"]).query)["token"][0]
        bearer = {"Authorization": f"Bearer {token}"}
        requests.post(f"{self.api}/client/challenge/email-otp", headers=bearer, json={}, timeout=5)
        code = requests.get(f"{self.origin}/_dev/inbox.json", params={"to": email}, timeout=5).json()[0]["code"]
        result = requests.post(f"{self.api}/client/verify/email-otp", headers=bearer, timeout=5,
                               json={"verificationCode": code}).json()
        confirmed = self._timed(lambda: client.post("/api/confirm", json={"token": result["accessToken"]},
                                                    headers=headers))
        if confirmed.status_code != 200:
            raise SystemExit(f"a sign-in failed: {confirmed.get_json()}")


def by_package(profile: cProfile.Profile, count: int) -> list[tuple[str, float]]:
    """Own time (ms per sign-in) summed by installed package, our package,
    standard-library module or builtin."""
    groups: collections.Counter = collections.Counter()
    for (path, _, name), (_, _, own, _, _) in pstats.Stats(profile).stats.items():
        if "site-packages/" in path:
            key = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif path.startswith(str(ROOT)):
            key = "this app: " + Path(path).relative_to(ROOT).parts[0] + "/"
        elif path == "~":
            waiting = any(word in name for word in ("recv", "connect", "acquire", "select", "poll"))
            key = WAITING if waiting else "builtins"
        else:
            key = "standard library"
        groups[key] += own
    return [(key, seconds * 1000 / count) for key, seconds in groups.most_common()]


def report(cpu_ms: float, shares: list[tuple[str, float]], count: int) -> str:
    profiled = sum(ms for key, ms in shares if key != WAITING)
    lines = [
        "# Where the app's CPU per sign-in goes",
        "",
        f"`python -m bench.profile_app` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{count} sign-ins (GET /, POST /api/sign-in, POST /api/confirm), the app in-process with the "
        "file session store, the emulators in their own processes.",
        "",
        f"**CPU per sign-in, without the profiler: {cpu_ms:.1f} ms** (the test client's share included).",
        "",
        "With the profiler (which slows everything about twice), own time by package, as a share of "
        "the profiled CPU:",
        "",
        "| package | ms per sign-in (profiled) | share |",
        "| --- | ---: | ---: |",
    ]
    for key, ms in shares:
        if key == WAITING:
            continue
        lines.append(f"| {key} | {ms:.2f} | {ms / profiled:.0%} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-ins", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "profile.md")
    args = parser.parse_args(argv)
    state = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    emulators, settings = start_emulators(state)
    try:
        os.environ.setdefault("FLASK_SKIP_DOTENV", "1")
        inline_upstream_calls()
        from app import create_app

        flask_app = create_app({"ENVIRON": {**settings, **RAISED_LIMITS, "SESSION_FILE_DIR": str(state / "sessions")}})
        sign_ins = SignIns(flask_app, settings["AUTHSIGNAL_URL"])
        for _ in range(10):  # warm-up: JWKS, connection pools, templates
            sign_ins.one()
        sign_ins.cpu = 0.0
        for _ in range(args.sign_ins):
            sign_ins.one()
        cpu_ms = sign_ins.cpu * 1000 / args.sign_ins
        sign_ins.profile = cProfile.Profile()
        for _ in range(args.sign_ins):
            sign_ins.one()
        text = report(cpu_ms, by_package(sign_ins.profile, args.sign_ins), args.sign_ins)
    finally:
        emulators.terminate()
        emulators.wait(timeout=20)
        shutil.rmtree(state, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
