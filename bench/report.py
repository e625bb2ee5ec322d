"""The benchmark's results: ``latest.md`` (Markdown tables, the machine first,
because every number here is this machine's), ``results.json`` (everything,
for comparing runs) and PNG charts drawn with matplotlib's Agg backend (no
display needed). bench/results/ is committed: it holds the latest run."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from .browser_side_by_side import SIDES  # noqa: E402
from .load import FLOWS, STEPS  # noqa: E402
from .stack import BENCH_LIMITS, GUNICORN_WORKERS, ROOT  # noqa: E402

PYTHON_PACKAGES = ("Flask", "gunicorn", "redis", "boto3", "requests", "playwright", "matplotlib", "Brotli")
NPM_PACKAGES = ("aws-amplify", "@authsignal/browser", "esbuild")
CPU_PARTS = ("app", "redis", "cognito", "authsignal", "load generator", "other processes")
CPU_LABELS = {
    "app": "app (gunicorn)", "redis": "Redis", "cognito": "local Cognito", "authsignal": "local Authsignal",
    "load generator": "load generator", "other processes": "other processes",
}
COLORS = {"spa": "#8c8c8c", "app": "#1f77b4", "ceiling": "#ff7f0e"}
TIMING_LABELS = {
    "load_ms": "Page load (load event)",
    "popup_ms": "Click Sign in → popup visible",
    "verify_to_signed_in_ms": "Click Verify (popup) → \"Signed in as\"",
    "click_to_signed_in_ms": "Click Sign in → \"Signed in as\"",
}
#: Request durations, sent → finished (bench/browser_side_by_side.py REQUEST_TIMINGS).
REQUEST_LABELS = {
    "request_ms": "One request of the page after the click, preflights apart (incl. its preflight)",
    "preflight_ms": "One CORS preflight",
    "popup_request_ms": "One request of the popup's iframe (not delayed)",
}


# ----- the machine ---------------------------------------------------------------------------
def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _command(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _npm_version(folder: Path, package: str) -> str:
    try:
        return json.loads((folder / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def machine_facts() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    memory_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                      if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip('"') for line in _read("/etc/os-release").splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())
    python_packages = {}
    for name in PYTHON_PACKAGES:
        try:
            python_packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            python_packages[name] = "?"
    redis_version = next((part[2:] for part in _command("redis-server", "--version").split() if part.startswith("v=")),
                         "?")
    commit = _command("git", "rev-parse", "--short", "HEAD")
    dirty = bool(_command("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": f"{os_name}, Linux {platform.release()}",
        "load_average_at_start": " ".join(_read("/proc/loadavg").split()[:3]),
        "python": platform.python_version(),
        "node": _command("node", "--version") or "?",
        "redis_server": redis_version,
        "python_packages": python_packages,
        "spa_packages": {name: _npm_version(ROOT / "bench", name) for name in NPM_PACKAGES},
        "app_web_sdk": _npm_version(ROOT, "@authsignal/browser"),
        "commit": f"{commit}{' with uncommitted changes' if dirty else ''}" if commit else "?",
    }


# ----- what failed ---------------------------------------------------------------------------
def problems(browser: dict, levels: list[dict], strict: bool) -> list[str]:
    found = []
    for result in browser["by_latency"]:
        for side, summary in result["sides"].items():
            if summary["failures"]:
                found.append(f"{len(summary['failures'])} {side} browser sign-in(s) at +{result['latency_ms']:g} ms "
                             f"failed: {summary['failures'][0]}")
    for level in levels:
        name = f"load {level['flow']} x{level['concurrency']}"
        if level["succeeded"] == 0:
            found.append(f"{name}: no sign-in succeeded ({level['errors']})")
        elif strict and level["failed"]:
            found.append(f"{name}: {level['failed']} sign-in(s) failed ({level['errors']})")
    return found


# ----- formatting ------------------------------------------------------------------------------
def kb(size: float) -> str:
    return f"{size / 1000:.1f} kB"


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def cpu_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _divide(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ----- Markdown --------------------------------------------------------------------------------
def markdown(settings: dict, machine: dict, server: dict, browser: dict, levels: list[dict],
             problems_found: list[str], charts: list[str], seconds: float) -> str:
    first = browser["by_latency"][0]
    spa, app = first["sides"]["spa"], first["sides"]["app"]
    r = first["ratio_app_to_spa"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["python_packages"].items())
    spa_packages = ", ".join(f"{name} {version}" for name, version in machine["spa_packages"].items())
    out = [
        "# Benchmark: our Flask app and the guide's Amplify SPA",
        "",
        f"`make bench` on {machine['date']}, commit {machine['commit']}: "
        f"`BENCH_RUNS={settings['BENCH_RUNS']} BENCH_LATENCY_MS={settings['BENCH_LATENCY_MS']} "
        f"BENCH_CONCURRENCY={settings['BENCH_CONCURRENCY']} "
        f"BENCH_DURATION={settings['BENCH_DURATION']:g} BENCH_QUIET_WAIT={settings['BENCH_QUIET_WAIT']:g}`, "
        f"{seconds:.0f} s in all. "
        "Every number is this machine's, with everything (browser, app, Redis, both emulators, load generator) "
        "on the same cores; compare runs on the same machine only.",
        "",
    ]
    if problems_found:
        out += ["**Failures in this run:**", ""] + [f"- {problem}" for problem in problems_found] + [""]
    out += [
        "## Machine",
        "",
        table(["", ""], [
            ["CPU", machine["cpu"]],
            ["Cores", str(machine["cores"])],
            ["Memory", f"{machine['memory_gib']} GiB"],
            ["OS", machine["os"]],
            ["Load average at start", machine["load_average_at_start"]],
            ["Python", machine["python"]],
            ["Chromium", machine.get("chromium", "?")],
            ["Node.js", machine["node"]],
            ["redis-server", machine["redis_server"]],
            ["Python packages", packages],
            ["SPA (bench/package.json)", spa_packages],
            ["App's Web SDK (package.json)", f"@authsignal/browser {machine['app_web_sdk']}"],
            ["App served by", f"`{server['gunicorn']}` (gunicorn.conf.py: gthread), Redis sessions and limits"],
        ], align="ll"),
        "",
        "## In the browser",
        "",
        f"Headless Chromium, {browser['runs']} sign-in(s) per side at each added browser latency (after "
        f"{browser['warmups']} warm-up each, sides alternating), each in a fresh context (a first visit: empty "
        "cache). Medians. The popup steps (Send code, reading the dev inbox, typing the code) run at machine "
        "speed, so click → signed in is mostly the pages' and servers' own time.",
        "",
        "### What each page loads and requests",
        "",
        table(["", SIDES["spa"], SIDES["app"], "ours / SPA"], [
            [f"JS, raw ({len(spa['scripts'])} / {len(app['scripts'])} scripts)", kb(spa["js"]["raw"]),
             kb(app["js"]["raw"]), ratio(r["raw"])],
            [f"JS, gzip -{browser['gzip_level']}", kb(spa["js"]["gzip"]), kb(app["js"]["gzip"]), ratio(r["gzip"])],
            [f"JS, brotli -q {browser['brotli_quality']}", kb(spa["js"]["brotli"]), kb(app["js"]["brotli"]),
             ratio(r["brotli"])],
            [f"of which at page load, gzip -{browser['gzip_level']}", kb(spa["js_at_page_load"]["gzip"]),
             kb(app["js_at_page_load"]["gzip"]), ratio(r["gzip at page load"])],
            ["Requests per sign-in by the page (click → signed in)", f"{spa['median']['requests']:g}",
             f"{app['median']['requests']:g}", ratio(r["requests"])],
            ["Requests by the page view (navigation → click)", f"{spa['median']['page_load_requests']:g}",
             f"{app['median']['page_load_requests']:g}", ratio(r["page_load_requests"])],
        ]),
        "",
        f"(From the runs with {_latency_label(first['latency_ms'], 'no added')} latency; what a page loads and "
        "requests does not depend on it.)",
        "",
    ] + _latency_markdown(browser) + [
        "### Scripts each page loaded",
        "",
        table(["page", "script", "loaded at", "raw", "gzip", "brotli"], [
            [side, f"`{script['script']}`", script["when"], kb(script["raw"]), kb(script["gzip"]),
             kb(script["brotli"])]
            for side in SIDES for script in first["sides"][side]["scripts"]
        ], align="lllrrr"),
        "",
        "### Requests per sign-in",
        "",
        "What each page itself requested from the click on **Sign in** to \"Signed in as\" (CORS preflights "
        "included; `app`, `spa`, `cognito` and `authsignal` are the four origins), in order:",
        "",
    ]
    for side in SIDES:
        summary = first["sides"][side]
        note = "" if summary["requests_same_in_every_run"] else " (the most common sequence; runs differed)"
        out += [f"- **{SIDES[side]}**{note}: " + ", ".join(f"`{request}`" for request in summary["requests"])]
    out += [
        "- **the popup's own** (its iframe, the same for both, not counted above): "
        + ", ".join(f"`{request}`" for request in app["popup_requests"]),
        "",
        "And what each page view requested before the click (the document included):",
        "",
    ] + [
        f"- **{SIDES[side]}**: " + ", ".join(f"`{request}`"
                                             for request in first["sides"][side]["page_load_requests"])
        for side in SIDES
    ] + [""]
    for side in SIDES:
        errors = sorted({error for result in browser["by_latency"]
                         for error in result["sides"][side]["page_errors"]})
        if errors:
            out += [f"Uncaught errors in {SIDES[side]} (not fatal): " + "; ".join(f"`{e}`" for e in errors), ""]
    out += _load_markdown(levels)
    out += ["## Charts", ""] + [f"![{name}]({name})" for name in charts] + [""]
    out += [
        "## How it was measured",
        "",
        "- **Stack** (bench/stack.py): `python -m emulators` (both emulators in their own processes, fresh "
        "state in a temporary folder), `redis-server` (noeviction), and the app under the shipped "
        f"gunicorn.conf.py with `-w {GUNICORN_WORKERS}`, its environment being the env file the emulators "
        "wrote plus `SESSION_REDIS_URL` and, because all load comes from one address, the rate limits raised "
        f"({', '.join(f'`{k}={v}`' for k, v in BENCH_LIMITS.items())}; the limiter still counts every "
        "request in Redis). The SPA (bench/spa/, bundled and minified by esbuild) is served by a small "
        "static server with the same emulators' settings.",
        "- **Browser** (bench/browser_side_by_side.py): requests come from the DevTools protocol (preflights "
        "included) and are the main frame's; scripts are those the main frame loaded (inline ones too), "
        f"fetched again and compressed with gzip -{browser['gzip_level']} and brotli -q "
        f"{browser['brotli_quality']}, as a CDN serving precompressed assets would. Clicks are timestamped in "
        "the page; ends are when Playwright sees the element (within an animation frame).",
        "- **Browser latency** (`BENCH_LATENCY_MS`): above 0, the page reaches each origin it talks to (the "
        "app, the SPA's static server, and the local Cognito, which the SPA's Amplify config then names as its "
        "`userPoolEndpoint`) through a small delaying TCP proxy (bench/latency_proxy.py, asyncio, in its own "
        "process): it relays bytes untouched, holding every chunk half the round trip in each direction (in "
        "order), and lets nothing a client sends on a new connection leave before a round trip has passed, as "
        "TCP's handshake would. So every request of the page, **CORS preflights included**, pays a round trip "
        "on top of its server time, and a new connection one more. The local Cognito's server (Werkzeug) "
        "closes its connection after every response, where Cognito keeps the browser's: its proxy keeps the "
        "browser's connection open (it drops `Connection: close` and opens a new, undelayed, connection to the "
        "emulator for the next request), so the SPA pays no handshake per request that it would not pay in "
        "production. **Only the browser's side is delayed**: the app's calls to Cognito and Authsignal go "
        "direct, as they stay inside AWS's region (a few ms) in production, while the browser is tens of ms "
        "from both. The popup's iframe (the local Authsignal's origin, the same for both sides) is not "
        "proxied. Through a proxy the servers see `127.0.0.1:<proxy port>` as `Host` and in `Origin`, which the "
        "emulators' host check and the local Authsignal's allowed origins (`http://127.0.0.1:*`) accept; "
        "cookies are per host, so the app's session and CSRF token work as without it. With no added "
        "latency there is no proxy. Not emulated: bandwidth and TCP slow start (throughput is unlimited), DNS, "
        "and TLS (on https a new connection costs another round trip).",
        "- **Load** (bench/load.py): each virtual user loops over whole sign-ins with a new email (a new "
        "Cognito user each time) for the level's duration, then finishes the sign-in under way; sign-ins/s is "
        "successful sign-ins over that whole time. Latencies include failed attempts of a step. CPU is the /proc time of each "
        "process tree from the start of a level to the end of its last sign-in, per successful sign-in; "
        "\"other processes\" is the machine's busy time minus ours (anything else that ran meanwhile). "
        "The ceiling makes the app's Cognito calls with boto3 (never retried) and the same popup calls, "
        "with no app.",
        "",
    ]
    return "\n".join(out)


def _latency_label(latency_ms: float, none: str = "no added latency") -> str:
    return none if not latency_ms else f"+{latency_ms:g} ms"


def _latency_markdown(browser: dict) -> list[str]:
    """One table, a column group (SPA, ours, ratio) per added browser latency:
    how the timings move when each browser round trip costs what it would on
    a real network."""
    results = browser["by_latency"]
    header = [""] + [f"{name}, {_latency_label(result['latency_ms'])}" for result in results
                     for name in ("SPA", "ours", "ours / SPA")]

    def row(label: str, name: str, show) -> list[str]:
        cells = [label]
        for result in results:
            spa, app = (result["sides"][side]["median"].get(name) for side in ("spa", "app"))
            cells += [show(spa), show(app), ratio(result["ratio_app_to_spa"].get(name))]
        return cells

    def count(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    return [
        "### Timings per added browser latency",
        "",
        "Medians, ms. The added latency is a round trip on every request of the page, CORS preflights "
        "included, and on every new connection it opens (a delaying proxy in front of the app, the SPA's "
        "static server and the local Cognito; see How it was measured); not on the popup's iframe (the local "
        "Authsignal, direct for both sides), nor on the app's own calls to Cognito and Authsignal. The last "
        "rows are single requests' durations (sent → finished): with latency added, each of the page's "
        "should take about that much longer (twice that on a new connection, and a request's own time "
        "includes its preflight's), the popup's no longer.",
        "",
        table(header, [row("Requests per sign-in by the page", "requests", count)]
              + [row(label, name, ms) for name, label in TIMING_LABELS.items()]
              + [row(label, name, ms) for name, label in REQUEST_LABELS.items()]),
        "",
    ]


def _users(count: int) -> str:
    return f"{count} user{'' if count == 1 else 's'}"


def _load_markdown(levels: list[dict]) -> list[str]:
    concurrencies = sorted({level["concurrency"] for level in levels})
    by = {(level["flow"], level["concurrency"]): level for level in levels}
    duration = levels[0]["duration_s"] if levels else 0
    out = [
        "## Under load",
        "",
        f"Virtual users signing in back to back for {duration:g} s per level: **app** = {FLOWS['app']}; "
        f"**ceiling** = {FLOWS['ceiling']}.",
        "",
        "### Sign-ins per second",
        "",
        table(["virtual users", "measured: app", "measured: ceiling", "app / ceiling", "CPU-bound: app",
               "CPU-bound: ceiling", "app / ceiling", "machine CPU busy (app / ceiling)"], [
            [str(c),
             f"{by[('app', c)]['sign_ins_per_s']:.1f}", f"{by[('ceiling', c)]['sign_ins_per_s']:.1f}",
             ratio(_divide(by[("app", c)]["sign_ins_per_s"], by[("ceiling", c)]["sign_ins_per_s"])),
             rate(by[("app", c)]["cpu_bound_sign_ins_per_s"]), rate(by[("ceiling", c)]["cpu_bound_sign_ins_per_s"]),
             ratio(_divide(by[("app", c)]["cpu_bound_sign_ins_per_s"], by[("ceiling", c)]["cpu_bound_sign_ins_per_s"])),
             f"{by[('app', c)]['machine_busy_percent']:.0f}% / {by[('ceiling', c)]['machine_busy_percent']:.0f}%"]
            for c in concurrencies
        ]),
        "",
        "Measured sign-ins/s are what this machine did, with everything on it (other programs included: see "
        "\"other processes\" below). The CPU-bound estimate is cores × 1000 / the servers' CPU ms per sign-in "
        "(app, Redis and both emulators; not the load generator): what they could do with the cores to "
        "themselves.",
        "",
        "### Latency per step (ms, p50 / p95 / p99)",
        "",
    ]
    for flow in FLOWS:
        out += [f"**{flow}**", "", table(["step"] + [_users(c) for c in concurrencies], [
            [step] + [
                "{} / {} / {}".format(*(ms(by[(flow, c)]["latency_ms"][step][q]) for q in ("p50", "p95", "p99")))
                for c in concurrencies
            ]
            for step in ["sign-in"] + STEPS[flow]
        ]), ""]
    out += [
        "### Errors",
        "",
        table(["flow", "virtual users", "sign-ins tried", "succeeded", "failed", "errors (step: status × count)"], [
            [level["flow"], str(level["concurrency"]), str(level["attempts"]), str(level["succeeded"]),
             str(level["failed"]),
             "; ".join(f"{error} × {count}" for error, count in level["errors"].items()) or "none"]
            for level in levels
        ], align="lrrrrl"),
        "",
        "### CPU per successful sign-in (ms)",
        "",
        table(["flow", "virtual users"] + [CPU_LABELS[part] for part in CPU_PARTS], [
            [level["flow"], str(level["concurrency"])]
            + [cpu_ms(level["cpu_ms_per_sign_in"].get(part)) for part in CPU_PARTS]
            for level in levels
        ]),
        "",
    ]
    return out


# ----- charts ------------------------------------------------------------------------------------
def _bars(axis, groups: list[str], series: dict[str, list[float]], colors: dict[str, str], labels: dict[str, str]):
    width = 0.8 / len(series)
    for index, (name, values) in enumerate(series.items()):
        positions = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = axis.bar(positions, values, width, label=labels[name], color=colors[name])
        axis.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    axis.set_xticks(range(len(groups)), groups, fontsize=8)
    axis.legend(fontsize=8)


def chart_browser(browser: dict, path: Path) -> None:
    """A timings panel per added latency (same scale), then the JavaScript."""
    results = browser["by_latency"]
    figure, axes = plt.subplots(1, len(results) + 1, figsize=(5 * len(results) + 4, 4.5),
                                gridspec_kw={"width_ratios": [3] * len(results) + [2]})
    names = list(TIMING_LABELS)
    top = max(result["sides"][side]["median"][name] for result in results for side in SIDES for name in names)
    for axis, result in zip(axes, results):
        _bars(axis, ["page load", "click →\npopup", "Verify →\nsigned in", "click →\nsigned in"],
              {side: [result["sides"][side]["median"][name] for name in names] for side in SIDES}, COLORS,
              {"spa": "guide's SPA", "app": "our app"})
        axis.set_ylim(0, top * 1.12)
        axis.set_ylabel("ms (median)")
        axis.set_title(f"Browser, {_latency_label(result['latency_ms'], '+0 ms')} per round trip", fontsize=10)
    sizes, sides = axes[-1], results[0]["sides"]
    _bars(sizes, ["raw", f"gzip -{browser['gzip_level']}", f"brotli -q {browser['brotli_quality']}"],
          {side: [sides[side]["js"][kind] / 1000 for kind in ("raw", "gzip", "brotli")] for side in SIDES}, COLORS,
          {"spa": "guide's SPA", "app": "our app"})
    sizes.set_ylabel("kB of JavaScript")
    sizes.set_title("JavaScript the page loads", fontsize=10)
    figure.suptitle(f"In the browser: medians of {browser['runs']} sign-in(s) per side and latency", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def chart_throughput(levels: list[dict], path: Path) -> None:
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(12, 4.5))
    for flow in FLOWS:
        points = sorted((level["concurrency"], level) for level in levels if level["flow"] == flow)
        users = [c for c, _ in points]
        throughput.plot(users, [level["sign_ins_per_s"] for _, level in points], "o-", color=COLORS[flow],
                        label=f"{flow}, measured")
        throughput.plot(users, [level["cpu_bound_sign_ins_per_s"] or 0 for _, level in points], "^:",
                        color=COLORS[flow], label=f"{flow}, CPU-bound estimate")
        for q, style in (("p50", "o-"), ("p95", "s--")):
            latency.plot(users, [level["latency_ms"]["sign-in"][q] for _, level in points], style,
                         color=COLORS[flow], label=f"{flow} {q}")
    for axis in (throughput, latency):
        axis.set_xscale("log")
        axis.set_xlabel("virtual users")
        axis.legend(fontsize=8)
        axis.grid(True, alpha=0.3)
    throughput.set_ylabel("successful sign-ins / s")
    throughput.set_title("Throughput: app vs emulators alone (ceiling)")
    throughput.set_ylim(bottom=0)
    latency.set_yscale("log")
    latency.set_ylabel("whole sign-in, ms")
    latency.set_title("Sign-in latency")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def chart_cpu(levels: list[dict], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(12, 4.5))
    labels = [f"{level['flow']}\n{_users(level['concurrency'])}" for level in levels]
    bottom = [0.0] * len(levels)
    palette = plt.get_cmap("tab10")
    for index, part in enumerate(CPU_PARTS):
        values = [level["cpu_ms_per_sign_in"].get(part) or 0 for level in levels]
        color = "#d9d9d9" if part == "other processes" else palette(index)
        axis.bar(range(len(levels)), values, 0.6, bottom=bottom, label=CPU_LABELS[part], color=color)
        bottom = [b + v for b, v in zip(bottom, values)]
    axis.set_xticks(range(len(levels)), labels, fontsize=8)
    axis.set_ylabel("CPU ms per successful sign-in")
    axis.set_title("Where the CPU goes")
    axis.legend(fontsize=8, ncols=3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(out: Path, settings: dict, machine: dict, server: dict, browser: dict, levels: list[dict],
          problems: list[str], seconds: float) -> list[Path]:
    charts = {"browser.png": lambda p: chart_browser(browser, p),
              "load-throughput.png": lambda p: chart_throughput(levels, p),
              "load-cpu.png": lambda p: chart_cpu(levels, p)}
    written = []
    for name, draw in charts.items():
        draw(out / name)
        written.append(out / name)
    results = {"settings": settings, "machine": machine, "server": server, "browser": browser, "load": levels,
               "problems": problems, "seconds": seconds}
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "latest.md").write_text(markdown(settings, machine, server, browser, levels, problems, list(charts),
                                            seconds))
    return [out / "latest.md", out / "results.json", *written]
