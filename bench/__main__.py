"""``python -m bench`` (``make bench``): how our server-side Flask app compares
with the guide's Amplify SPA, in the browser and under load, on this machine.

Why it exists: the app moves Amplify's three Cognito calls from the browser to
the server. That should ship less JavaScript and make fewer requests from the
page, at the price of CPU on our servers and a hop through them. This measures
all of that against the same emulators, so the trade is a number, not a claim
(issue 13). It is not part of ``make test``: it takes minutes and its numbers
depend on the machine.

Steps: start the stack (bench/stack.py), warm it up, sign in N times per side
in headless Chromium, once per added browser latency
(bench/browser_side_by_side.py), run the load levels
(bench/load.py), then write Markdown, JSON and PNG charts (bench/report.py).

Settings (environment, or the options of the same name):
  BENCH_RUNS         browser sign-ins per side (default 5)
  BENCH_LATENCY_MS   comma-separated round-trip latencies (ms) added to every
                     request of the page (preflights included) and to every
                     connection it opens, by a delaying proxy in front of each
                     origin it talks to (bench/latency_proxy.py), one browser
                     side-by-side each (default 0,40: locally a round trip is
                     free, on a real network the browser is tens of ms from the
                     app and from Cognito, while the app is a few ms from Cognito)
  BENCH_CONCURRENCY  comma-separated virtual users per load level (default 1,10,50,200)
  BENCH_DURATION     seconds per load level and flow (default 20)
  BENCH_QUIET_WAIT   at most this many seconds to wait, before the browser runs
                     and each load level, for a second in which the machine is
                     mostly idle (default 60; 0 does not wait)
  BENCH_OUT          where results go (default bench/results)

It exits 1 when something failed: a browser sign-in, a load level without a
single sign-in, or (``--strict``, as ``make bench-smoke`` runs it) any error
at all. Results are written either way, failures included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import browser_side_by_side, load, report
from .stack import ROOT, Stack, StackError, wait_until_quiet

DEFAULTS = {
    "runs": "5", "latency_ms": "0,40", "concurrency": "1,10,50,200", "duration": "20", "quiet_wait": "60",
    "out": str(ROOT / "bench" / "results"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    def env(name: str) -> str:
        return os.environ.get(f"BENCH_{name.upper()}") or DEFAULTS[name]

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(env("runs")), help="browser sign-ins per side")
    parser.add_argument("--latency-ms", default=env("latency_ms"),
                        help="comma-separated browser round-trip latencies (ms) to add, one side-by-side each")
    parser.add_argument("--concurrency", default=env("concurrency"), help="comma-separated virtual users per level")
    parser.add_argument("--duration", type=float, default=float(env("duration")), help="seconds per load level")
    parser.add_argument("--quiet-wait", type=float, default=float(env("quiet_wait")),
                        help="seconds to wait at most for an idle machine before each part")
    parser.add_argument("--out", type=Path, default=Path(env("out")), help="results folder")
    parser.add_argument("--strict", action="store_true", help="fail on any error (for CI)")
    args = parser.parse_args(argv)
    try:
        args.concurrency = [int(part) for part in str(args.concurrency).split(",") if part.strip()]
    except ValueError:
        parser.error(f"--concurrency {args.concurrency!r}: expected comma-separated whole numbers")
    try:
        args.latency_ms = [float(part) for part in str(args.latency_ms).split(",") if part.strip()]
    except ValueError:
        parser.error(f"--latency-ms {args.latency_ms!r}: expected comma-separated numbers of ms")
    if not args.latency_ms or min(args.latency_ms) < 0:
        parser.error("--latency-ms: give at least one latency, none negative")
    if args.runs < 1 or not args.concurrency or min(args.concurrency) < 1 or args.duration <= 0:
        parser.error("runs, each concurrency and the duration must be positive")
    if args.quiet_wait < 0:
        parser.error("--quiet-wait must be 0 or more")
    return args


def log(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    settings = {
        "BENCH_RUNS": args.runs,
        "BENCH_LATENCY_MS": ",".join(f"{latency:g}" for latency in args.latency_ms),
        "BENCH_CONCURRENCY": ",".join(map(str, args.concurrency)),
        "BENCH_DURATION": args.duration,
        "BENCH_QUIET_WAIT": args.quiet_wait,
    }
    machine = report.machine_facts()
    log(f"bench: {settings}; results in {args.out}")
    try:
        with Stack(keep_logs=args.out / "logs") as stack:
            log(f"stack up: app {stack.urls.app}, SPA {stack.urls.spa}, "
                f"Cognito {stack.urls.cognito}, Authsignal {stack.urls.authsignal_origin}")
            load.warm_up(stack)
            if args.quiet_wait:
                wait_until_quiet(args.quiet_wait)
            browser = browser_side_by_side.run_latencies(stack, args.runs, args.latency_ms,
                                                         failures=args.out / "failures", log=log)
            log(f"load: {settings['BENCH_CONCURRENCY']} virtual users, {args.duration:g} s per level and flow")
            levels = load.run_load(stack, args.concurrency, args.duration, quiet_wait=args.quiet_wait, log=log)
            server = {"gunicorn": " ".join(Path(part).name if part.startswith("/") else part
                                           for part in stack.gunicorn_command)}
    except (StackError, browser_side_by_side.BrowserBenchError, RuntimeError) as error:
        log(f"bench: FAILED: {error}")
        return 1
    machine["chromium"] = browser["chromium"]
    problems = report.problems(browser, levels, strict=args.strict)
    written = report.write(args.out, settings=settings, machine=machine, server=server, browser=browser,
                           levels=levels, problems=problems, seconds=time.monotonic() - started)
    for path in written:
        log(f"wrote {path}")
    for problem in problems:
        log(f"bench: FAILED: {problem}")
    log(f"bench: done in {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
