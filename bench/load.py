"""Load: K virtual users signing in over and over for a fixed time, through
the app and, for the ceiling, straight to the emulators.

Each virtual user is a thread looping over whole sign-ins, each as a new
visitor (new cookies, new connections) with a new email, so every sign-in
creates its Cognito user, as the first sign-in of every user does (a
returning email would also hit the local Authsignal's 12 codes per user per
10 minutes). Two flows make the same upstream calls:

- **app**: ``GET /`` (the CSRF cookie and token), ``POST /api/sign-in``, the
  popup's calls, ``POST /api/confirm``, against gunicorn with 4 workers and
  Redis (bench/stack.py);
- **ceiling**: what the app asks of Cognito, made with boto3 from here
  (``SignUp``, ``InitiateAuth`` ``CUSTOM_AUTH``, ``RespondToAuthChallenge``,
  never retried, as the app never retries), around the same popup calls: the
  most sign-ins the emulators can do on this machine, with no app in front.

The popup's calls are those the Authsignal pre-built UI makes for an email
code, on the Web SDK's client API paths with the track token as Bearer
(``POST /v1/client/challenge/email-otp``, ``POST /v1/client/verify/email-otp``)
plus reading the code from the dev inbox (what the person does); the UI's
own page, CSS and JS are not fetched (static files, the same on both sides).

For each level it records sign-ins per second (successful sign-ins over the
time from the first start to the last end: no new sign-in starts after the
level's duration, those under way finish), p50/p95/p99 per step and per whole
sign-in, errors by step and status, and CPU: the /proc time of the gunicorn
master and workers, Redis, each emulator and this load generator, from just
before the first virtual user starts to after the last one ends (in-flight
sign-ins finish after the window), divided by the successful sign-ins.
Everything shares the same cores, the load generator included, so its own
CPU is reported too, and so is what other programs used meanwhile (the
machine's busy time minus ours); the CPU-bound estimate, cores divided by the
servers' CPU per sign-in, is what the servers alone could do on an otherwise
idle machine, and barely moves when something else runs.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import boto3
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from .stack import Stack, machine_busy_seconds, wait_until_quiet

HTTP_TIMEOUT = 60
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
FLOWS = {
    "app": "through the app (gunicorn -w 4, Redis)",
    "ceiling": "straight to the emulators (boto3 + the popup's calls, no app)",
}
STEPS = {
    "app": ["GET /", "POST /api/sign-in", "popup: send code", "popup: read inbox", "popup: verify", "POST /api/confirm"],
    "ceiling": ["SignUp", "InitiateAuth", "popup: send code", "popup: read inbox", "popup: verify",
                "RespondToAuthChallenge"],
}


#: The processes that serve a sign-in (not the load generator, not other programs).
SERVER_PARTS = ("app", "redis", "cognito", "authsignal")


class StepFailed(Exception):
    def __init__(self, step: str, label: str):
        super().__init__(f"{step}: {label}")
        self.step, self.label = step, label


@dataclass
class Recorder:
    """One virtual user's measurements (merged after the level, so no locks)."""

    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    totals: list[float] = field(default_factory=list)
    #: perf_counter() at which each successful sign-in ended.
    finished: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    attempts: int = 0
    #: The step under way, to charge a transport error to.
    current_step: str = "?"

    def timed(self, step: str, call):
        self.current_step = step
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.steps[step].append(time.perf_counter() - started)

    def merge(self, other: "Recorder") -> None:
        for step, values in other.steps.items():
            self.steps[step].extend(values)
        self.totals.extend(other.totals)
        self.finished.extend(other.finished)
        self.errors.update(other.errors)
        self.attempts += other.attempts


def _http_label(response: requests.Response) -> str:
    try:
        code = response.json().get("error") or response.json().get("errorCode")
    except (ValueError, AttributeError):
        code = None
    return f"{response.status_code} {code}" if code else str(response.status_code)


def _expect(step: str, response: requests.Response) -> requests.Response:
    if response.status_code != 200:
        raise StepFailed(step, _http_label(response))
    return response


def new_email(flow: str) -> str:
    return f"load-{flow}-{uuid.uuid4().hex[:16]}@example.com"


class Popup:
    """The pre-built UI's calls for an email code, and the person reading it."""

    def __init__(self, stack: Stack):
        self.client_api = f"{stack.urls.authsignal_base}/client"
        self.inbox = stack.urls.dev_inbox

    def pass_challenge(self, http: requests.Session, rec: Recorder, url: str, email: str) -> str:
        track_token = parse_qs(urlsplit(url).query)["token"][0]
        headers = {"Authorization": f"Bearer {track_token}"}
        _expect("popup: send code", rec.timed("popup: send code", lambda: http.post(
            f"{self.client_api}/challenge/email-otp", json={}, headers=headers, timeout=HTTP_TIMEOUT)))
        messages = _expect("popup: read inbox", rec.timed("popup: read inbox", lambda: http.get(
            self.inbox, params={"to": email}, timeout=HTTP_TIMEOUT))).json()
        if not messages or not messages[0].get("code"):
            raise StepFailed("popup: read inbox", "no code")
        verified = _expect("popup: verify", rec.timed("popup: verify", lambda: http.post(
            f"{self.client_api}/verify/email-otp", json={"verificationCode": messages[0]["code"]},
            headers=headers, timeout=HTTP_TIMEOUT))).json()
        if not verified.get("isVerified") or not verified.get("accessToken"):
            raise StepFailed("popup: verify", f"not verified ({verified.get('failureReason')})")
        return verified["accessToken"]


class AppFlow:
    name = "app"

    def __init__(self, stack: Stack, concurrency: int):
        self.app = stack.urls.app
        self.popup = Popup(stack)

    def sign_in(self, rec: Recorder) -> None:
        email = new_email(self.name)
        with requests.Session() as app, requests.Session() as authsignal:
            page = _expect("GET /", rec.timed("GET /", lambda: app.get(self.app + "/", timeout=HTTP_TIMEOUT)))
            match = _CSRF.search(page.text)
            if not match:
                raise StepFailed("GET /", "no CSRF token in the page")
            headers = {"X-CSRFToken": match.group(1)}
            started = _expect("POST /api/sign-in", rec.timed("POST /api/sign-in", lambda: app.post(
                self.app + "/api/sign-in", json={"email": email}, headers=headers, timeout=HTTP_TIMEOUT))).json()
            if "url" not in started:
                raise StepFailed("POST /api/sign-in", f"no challenge url ({started.get('status')})")
            token = self.popup.pass_challenge(authsignal, rec, started["url"], email)
            confirmed = _expect("POST /api/confirm", rec.timed("POST /api/confirm", lambda: app.post(
                self.app + "/api/confirm", json={"token": token}, headers=headers, timeout=HTTP_TIMEOUT))).json()
            if confirmed.get("status") != "signed_in":
                raise StepFailed("POST /api/confirm", f"not signed in ({confirmed.get('status')})")


class CeilingFlow:
    name = "ceiling"

    def __init__(self, stack: Stack, concurrency: int):
        settings = stack.settings
        self.client_id = settings["COGNITO_CLIENT_ID"]
        # One client for every virtual user (botocore clients are thread-safe),
        # with a connection per user, never retrying: as the app's.
        self.cognito = boto3.client(
            "cognito-idp", region_name=settings["COGNITO_USER_POOL_ID"].split("_")[0],
            endpoint_url=settings["COGNITO_ENDPOINT_URL"],
            config=Config(signature_version=UNSIGNED, connect_timeout=5, read_timeout=HTTP_TIMEOUT,
                          max_pool_connections=concurrency + 1,
                          retries={"mode": "standard", "total_max_attempts": 1}),
        )
        self.popup = Popup(stack)

    def _call(self, rec: Recorder, step: str, operation: str, **parameters) -> dict:
        try:
            return rec.timed(step, lambda: getattr(self.cognito, operation)(**parameters))
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
            raise StepFailed(step, f"{status} {error.response['Error']['Code']}") from None

    def sign_in(self, rec: Recorder) -> None:
        email = new_email(self.name)
        try:
            self._call(rec, "SignUp", "sign_up", ClientId=self.client_id, Username=email,
                       Password=secrets.token_hex(20) + "aZ9!", UserAttributes=[{"Name": "email", "Value": email}])
        except StepFailed as failed:
            if "UsernameExistsException" not in failed.label:
                raise
        started = self._call(rec, "InitiateAuth", "initiate_auth", ClientId=self.client_id,
                             AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})
        parameters = started.get("ChallengeParameters") or {}
        if "url" not in parameters:
            raise StepFailed("InitiateAuth", "no challenge url")
        with requests.Session() as authsignal:
            token = self.popup.pass_challenge(authsignal, rec, parameters["url"], email)
        answered = self._call(
            rec, "RespondToAuthChallenge", "respond_to_auth_challenge", ClientId=self.client_id,
            ChallengeName="CUSTOM_CHALLENGE", Session=started["Session"],
            ChallengeResponses={"USERNAME": parameters.get("USERNAME", email), "ANSWER": token},
        )
        if "AuthenticationResult" not in answered:
            raise StepFailed("RespondToAuthChallenge", "no tokens")


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _latencies_ms(values: list[float]) -> dict:
    return {f"p{q}": (percentile(values, q) or 0) * 1000 for q in (50, 95, 99)} | {"count": len(values)}


def run_level(stack: Stack, flow_class, concurrency: int, duration: float) -> dict:
    flow = flow_class(stack, concurrency)
    recorders = [Recorder() for _ in range(concurrency)]
    go = threading.Event()
    deadline = float("inf")  # set just before ``go``

    def virtual_user(rec: Recorder) -> None:
        go.wait()
        # Spread the first requests over a little while instead of one burst.
        time.sleep(random.uniform(0, min(1.0, duration / 10)))
        while time.perf_counter() < deadline:
            rec.attempts += 1
            started = time.perf_counter()
            try:
                flow.sign_in(rec)
            except StepFailed as failed:
                rec.errors[f"{failed.step}: {failed.label}"] += 1
                continue
            except Exception as error:  # a timeout, a refused connection: counted, not fatal
                rec.errors[f"{rec.current_step}: {type(error).__name__}"] += 1
                continue
            ended = time.perf_counter()
            rec.totals.append(ended - started)
            rec.finished.append(ended)

    threads = [threading.Thread(target=virtual_user, args=(rec,), daemon=True) for rec in recorders]
    for thread in threads:
        thread.start()
    cpu_before, generator_before, busy_before = stack.cpu(), time.process_time(), machine_busy_seconds()
    start = time.perf_counter()
    deadline = start + duration
    go.set()
    for thread in threads:
        thread.join(timeout=duration + 4 * HTTP_TIMEOUT)
    ended = time.perf_counter()
    cpu_after, generator_after, busy_after = stack.cpu(), time.process_time(), machine_busy_seconds()
    stack.check_running()

    merged = Recorder()
    for rec in recorders:
        merged.merge(rec)
    succeeded = len(merged.totals)
    in_window = sum(1 for at in merged.finished if at <= start + duration)
    cpu = {part: (cpu_after[part] - cpu_before[part]) for part in cpu_before}
    cpu["load generator"] = generator_after - generator_before
    busy = busy_after - busy_before
    cpu["other processes"] = max(0.0, busy - sum(cpu.values()))
    return {
        "flow": flow.name,
        "concurrency": concurrency,
        "duration_s": duration,
        "elapsed_s": ended - start,
        "attempts": merged.attempts,
        "succeeded": succeeded,
        "failed": merged.attempts - succeeded,
        # Over the whole busy period: with hundreds of users a sign-in can take
        # longer than a short window, and counting only those that ended inside
        # it would measure the window, not the servers.
        "sign_ins_per_s": succeeded / (ended - start),
        "succeeded_inside_window": in_window,
        "latency_ms": {"sign-in": _latencies_ms(merged.totals)}
        | {step: _latencies_ms(merged.steps.get(step, [])) for step in STEPS[flow.name]},
        "errors": dict(merged.errors.most_common()),
        "cpu_s": cpu,
        "machine_busy_percent": 100 * busy / ((ended - start) * (os.cpu_count() or 1)),
        "cpu_ms_per_sign_in": {part: (seconds * 1000 / succeeded if succeeded else None)
                               for part, seconds in cpu.items()},
        # What the servers alone could do if every core did nothing else: a
        # figure that other programs running meanwhile barely move.
        "cpu_bound_sign_ins_per_s": (
            (os.cpu_count() or 1) * succeeded / sum(cpu[part] for part in SERVER_PARTS)
            if succeeded and sum(cpu[part] for part in SERVER_PARTS) else None
        ),
    }


def warm_up(stack: Stack, sign_ins: int = 8, concurrency: int = 4) -> None:
    """A few sign-ins of each flow, not recorded, so that every gunicorn worker
    has answered (imported what it imports lazily, fetched the JWKS) and the
    emulators have served each call once before anything is measured."""
    for flow_class in (AppFlow, CeilingFlow):
        flow = flow_class(stack, concurrency)

        def attempt(_) -> str | None:
            try:
                flow.sign_in(Recorder())
            except Exception as error:
                return f"{flow.name}: {error}"
            return None

        with ThreadPoolExecutor(concurrency) as pool:
            failures = [failure for failure in pool.map(attempt, range(sign_ins)) if failure]
        if failures:
            raise RuntimeError(f"warm-up sign-ins failed, the stack is not working: {failures[:3]}")


def run_load(stack: Stack, concurrencies: list[int], duration: float, quiet_wait: float = 0,
             log=print) -> list[dict]:
    results = []
    for concurrency in concurrencies:
        for flow_class in (AppFlow, CeilingFlow):
            busy_before = wait_until_quiet(quiet_wait) if quiet_wait else None
            if busy_before is not None and busy_before >= 15:
                log(f"  (the machine is {busy_before:.0f}% busy with other work: measuring anyway)")
            level = run_level(stack, flow_class, concurrency, duration) | {"machine_busy_before_percent": busy_before}
            results.append(level)
            log(f"  load {level['flow']:<7} x{concurrency:<4} {level['sign_ins_per_s']:6.1f} sign-ins/s "
                f"(CPU-bound {level['cpu_bound_sign_ins_per_s'] or 0:.0f}), "
                f"p95 {level['latency_ms']['sign-in']['p95']:7.0f} ms, {level['failed']} failed"
                + (f" ({', '.join(f'{k} x{v}' for k, v in list(level['errors'].items())[:3])})"
                   if level["errors"] else ""))
            time.sleep(1)  # let in-flight work on the servers settle before the next level
    return results
