"""The guide's SPA and our Flask page, side by side in headless Chromium,
signing in N times each against the same emulators.

Nothing about either page is assumed: each run records what the page
actually does, through the Chrome DevTools Protocol (every request the page's
main frame makes, CORS preflights included, each with its frame and wall
time) and through the DOM (the scripts it loaded, inline ones too). So when
the app changes (a passkey autofill call on load, a confirm step without a
full reload), the numbers change with it.

One run: a fresh browser context (a first visit: empty cache, no preflight
cache), load the page, type a new email, click **Sign in**, wait for the
Authsignal pre-built UI in the Web SDK's popup (its **Send code** button
visible), send the code, read it from the local Authsignal's dev inbox,
type it, click **Verify**, wait for "Signed in as <email>" on the page.
Clicks are timestamped inside the page (a capture-phase listener, so the time
Playwright spends checking a button before clicking it is not counted); the
ends are when Playwright sees the element, within one animation frame.
Requests "per sign-in" are those the page made from the click to signed in,
without the popup's own (its iframe's document, scripts and client API calls,
the same for both sides and listed apart); those it made from navigation to
the click (the page view itself) are counted apart too. Uncaught errors in a
page are reported, not fatal: the sign-in still happened.

The sides alternate (ABBA order) and one warm-up sign-in per side is not
recorded, so neither side pays for the other's cold start.

Locally a round trip costs well under a millisecond, so a page's extra
requests are free here and cost a round trip each on a real network. So the
whole side-by-side runs once per added browser latency (``BENCH_LATENCY_MS``):
above 0, the page reaches the app, the SPA's static server and the local
Cognito through a delaying TCP proxy each (bench/latency_proxy.py: half the
round trip each way on every chunk, one more round trip per new connection),
so every request of the page, CORS preflights included, pays the round trip
on top of its server time (each request's duration, sent -> finished, from
CDP, is kept to show it). At 0 there is no proxy. Only the browser is
delayed: the app's own calls to Cognito and Authsignal go direct, as they
stay inside AWS's region in production. The popup's iframe (the local
Authsignal's origin, whose URL the app and the SPA both get from Authsignal)
goes direct too: it is the same for both sides.
"""

from __future__ import annotations

import dataclasses
import gzip
import statistics
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import requests

from .latency_proxy import LatencyProxies
from .stack import Stack, Urls
from tests.support.chromium import CHROMIUM_ARGS, find_chromium

POPUP = "#__authsignal-popup-iframe"
TIMEOUT_MS = 30_000
#: What a CDN serving precompressed static assets sends: gzip -9, brotli -q 11.
GZIP_LEVEL = 9
BROTLI_QUALITY = 11
#: Every frame (the popup's iframe too) reports each click, with the clicked
#: element's text and its time (ms since the epoch, on the page's clock), to
#: Python through a binding: it arrives even when the popup closes or the page
#: reloads right after the click.
CLICK_STAMP = """
addEventListener("click", (event) => {
  const at = performance.timeOrigin + performance.now();
  const text = (event.target && event.target.textContent || "").trim();
  if (window.__benchClick) window.__benchClick(text, at);
}, true);
// The moments the popup's first step and the signed-in text appear, stamped in
// the page as they happen (Playwright's waits poll, in steps up to 100 ms).
(() => {
  const marks = {"(popup ready)": () => [...document.querySelectorAll("button")].some(
                   (b) => b.textContent.trim() === "Send code"),
                 "(signed in)": () => (document.body && document.body.textContent || "").includes("Signed in as")};
  const seen = new Set();
  new MutationObserver(() => {
    for (const [mark, test] of Object.entries(marks)) {
      if (!seen.has(mark) && window.__benchClick && test()) {
        seen.add(mark);
        window.__benchClick(mark, performance.timeOrigin + performance.now());
      }
    }
  }).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""
INLINE_SCRIPTS = """() => [...document.scripts]
  .filter(s => !s.src && (!s.type || /^(text|application)\\/(java|ecma)script$|^module$/i.test(s.type)))
  .map(s => s.text)"""
SIDES = {"spa": "the guide's SPA (aws-amplify + Web SDK)", "app": "our Flask app"}
TIMINGS = ("load_ms", "popup_ms", "verify_to_signed_in_ms", "click_to_signed_in_ms")
#: Medians of request durations (sent -> finished), over all runs: the page's
#: requests after the click apart from CORS preflights, the preflights, the
#: popup's requests (not behind the latency proxy).
REQUEST_TIMINGS = ("request_ms", "preflight_ms", "popup_request_ms")


class BrowserBenchError(RuntimeError):
    pass


@dataclass
class Run:
    side: str
    email: str
    #: The page's own load event, from its navigation timing.
    load_ms: float = 0.0
    #: Click on Sign in -> the popup's Send code button visible.
    popup_ms: float = 0.0
    #: Click on Verify (in the popup) -> "Signed in as <email>" visible.
    verify_to_signed_in_ms: float = 0.0
    #: Click on Sign in -> "Signed in as <email>" visible (popup steps at machine speed).
    click_to_signed_in_ms: float = 0.0
    #: What the page made from the click to signed in: "METHOD who /path (detail)".
    requests: list[str] = field(default_factory=list)
    #: What the popup's iframe made in the same window (not counted above).
    popup_requests: list[str] = field(default_factory=list)
    #: How long each of ``requests`` took, sent -> finished (ms; None if it never
    #: finished): what added latency shows in. A request's own time includes its preflight's.
    request_ms: list[float | None] = field(default_factory=list)
    #: The same for ``popup_requests``.
    popup_request_ms: list[float | None] = field(default_factory=list)
    #: What the page made from navigating to it until the click (a page view's own cost).
    page_load_requests: list[str] = field(default_factory=list)
    #: Uncaught errors in the page: reported, not fatal (the sign-in still counts).
    page_errors: list[str] = field(default_factory=list)
    #: URL -> "page load" or "after the click".
    script_urls: dict[str, str] = field(default_factory=dict)
    #: (when, text) of each inline script.
    inline_scripts: list[tuple[str, str]] = field(default_factory=list)


class NetworkLog:
    """Every request of one page, from CDP's Network domain (which, unlike
    Playwright's request events, also reports CORS preflights)."""

    def __init__(self, context, page):
        self.events: list[dict] = []
        #: requestId -> CDP's monotonic timestamp (s) of its end (finished or failed).
        self.ended: dict[str, float] = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent", lambda event: self.events.append(event))
        for name in ("Network.loadingFinished", "Network.loadingFailed"):
            self.cdp.on(name, lambda event: self.ended.setdefault(event["requestId"], event["timestamp"]))
        self.cdp.send("Network.enable")

    def main_frame_id(self) -> str:
        return self.cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]

    def between(self, start: float, end: float, frame_id: str, urls: Urls) -> tuple[list[str], list[str]]:
        """(the page's requests, the popup's requests) with wall times in [start, end] (epoch s)."""
        by_id = {event["requestId"]: event for event in self.events}
        page, popup = self._split(start, end, frame_id)
        return [describe(event, by_id, urls) for event in page], [describe(event, by_id, urls) for event in popup]

    def durations(self, start: float, end: float, frame_id: str) -> tuple[list, list]:
        """The same requests' durations (ms, sent -> finished; None if unfinished), in the same order."""
        page, popup = self._split(start, end, frame_id)
        return self._durations(page), self._durations(popup)

    def _durations(self, events: list[dict]) -> list[float | None]:
        return [(self.ended[event["requestId"]] - event["timestamp"]) * 1000 if event["requestId"] in self.ended
                else None for event in events]

    def _split(self, start: float, end: float, frame_id: str) -> tuple[list[dict], list[dict]]:
        """(the page's, the popup's) requestWillBeSent events in [start, end], in wire order."""
        by_id = {event["requestId"]: event for event in self.events}
        order = {event["requestId"]: index for index, event in enumerate(self.events)}
        page, popup = [], []
        for index, event in enumerate(self.events):
            if not start <= event.get("wallTime", 0) <= end:
                continue
            frame = event.get("frameId")
            initiator = event.get("initiator") or {}
            position = (index, 1)
            if frame is None and initiator.get("type") == "preflight":
                # A preflight belongs to the frame of the request it clears, and
                # goes on the wire just before it (CDP reports it just after).
                cleared = initiator.get("requestId")
                frame = (by_id.get(cleared) or {}).get("frameId")
                position = (order.get(cleared, index), 0)
            (page if frame == frame_id else popup).append((position, event))
        return [event for _, event in sorted(page, key=_first)], [event for _, event in sorted(popup, key=_first)]

    def script_urls(self, frame_id: str, clicked: float) -> dict[str, str]:
        """Each script the main frame requested (a cached one too): URL -> when
        it was first asked for, "page load" or "after the click"."""
        urls: dict[str, str] = {}
        for event in self.events:
            if event.get("type") == "Script" and event.get("frameId") == frame_id:
                when = "page load" if event.get("wallTime", 0) < clicked else "after the click"
                urls.setdefault(event["request"]["url"], when)
        return urls


def _first(pair: tuple) -> tuple:
    return pair[0]


def describe(event: dict, by_id: dict, urls: Urls) -> str:
    request = event["request"]
    parts = urlsplit(request["url"])
    who = urls.label(f"{parts.scheme}://{parts.netloc}")
    text = f"{request['method']} {who} {parts.path or '/'}"
    target = _header(request, "x-amz-target")
    initiator = event.get("initiator") or {}
    if target:
        text += f" ({target.rpartition('.')[2]})"
    elif initiator.get("type") == "preflight":
        actual = by_id.get(initiator.get("requestId"))
        cleared = _header(actual["request"], "x-amz-target") if actual else None
        text += f" (preflight{' for ' + cleared.rpartition('.')[2] if cleared else ''})"
    return text


def _header(request: dict, name: str) -> str | None:
    for key, value in (request.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


def _latest_code(urls: Urls, email: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = requests.get(urls.dev_inbox, params={"to": email}, timeout=5).json()
        if messages:
            return messages[0]["code"]
        time.sleep(0.05)
    raise BrowserBenchError(f"no code for {email} in the dev inbox")


def sign_in_once(browser, urls: Urls, side: str, failures: Path) -> Run:
    """One sign-in on ``side``'s page, its origins being ``urls`` (the
    servers', or their latency proxies')."""
    url = (urls.spa if side == "spa" else urls.app) + "/"
    email = f"bench-{side}-{uuid.uuid4().hex[:12]}@example.com"
    run = Run(side=side, email=email)
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    clicks: dict[str, float] = {}
    context.expose_binding("__benchClick", lambda source, text, at: clicks.setdefault(text, at / 1000))
    context.add_init_script(CLICK_STAMP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        network = NetworkLog(context, page)
        page.goto(url, wait_until="load")
        frame_id = network.main_frame_id()
        run.load_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
        inline = page.evaluate(INLINE_SCRIPTS)

        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_role("button", name="Sign in", exact=True).click()
        ui = page.frame_locator(POPUP)
        ui.get_by_role("button", name="Send code", exact=True).wait_for(state="visible")
        popup_visible = clicks.get("(popup ready)", time.time())

        ui.get_by_role("button", name="Send code", exact=True).click()
        ui.get_by_label("Verification code").wait_for(state="visible")
        ui.get_by_label("Verification code").fill(_latest_code(urls, email))
        ui.get_by_role("button", name="Verify", exact=True).click()
        page.get_by_text(f"Signed in as {email}").filter(visible=True).first.wait_for(state="visible")
        time.sleep(0.05)  # let the page's stamp arrive
        signed_in = clicks.get("(signed in)", time.time())
        clicked, verify_clicked = clicks["Sign in"], clicks["Verify"]

        run.popup_ms = (popup_visible - clicked) * 1000
        run.verify_to_signed_in_ms = (signed_in - verify_clicked) * 1000
        run.click_to_signed_in_ms = (signed_in - clicked) * 1000
        # The page may have been replaced by a new document (a full reload): its
        # frame id stays the same, its scripts count too.
        inline_after = [text for text in page.evaluate(INLINE_SCRIPTS) if text not in inline]
        time.sleep(0.2)  # let CDP's last events arrive
        run.requests, run.popup_requests = network.between(clicked, signed_in, frame_id, urls)
        run.request_ms, run.popup_request_ms = network.durations(clicked, signed_in, frame_id)
        run.page_load_requests, _ = network.between(0, clicked, frame_id, urls)
        run.page_errors = errors
        run.script_urls = network.script_urls(frame_id, clicked)
        run.inline_scripts = [("page load", text) for text in dict.fromkeys(inline)] + [
            ("after the click", text) for text in dict.fromkeys(inline_after)]
        return run
    except Exception as error:
        failures.mkdir(parents=True, exist_ok=True)
        shot = failures / f"failed-{side}-{uuid.uuid4().hex[:6]}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
        except Exception:
            pass
        raise BrowserBenchError(f"{side} sign-in failed ({error}); screenshot: {shot}") from error
    finally:
        context.close()


def compressed_sizes(data: bytes) -> dict[str, int]:
    return {
        "raw": len(data),
        "gzip": len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)),
        "brotli": len(brotli.compress(data, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)),
    }


def script_sizes(runs: list[Run], urls: Urls) -> list[dict]:
    """Each script the page loaded in any run, fetched again and compressed as
    a CDN would; inline scripts too."""
    sizes = []
    loaded: dict[str, str] = {}
    for run in runs:
        for url, when in run.script_urls.items():
            loaded.setdefault(url, when)
    for url, when in loaded.items():
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        parts = urlsplit(url)
        sizes.append({"script": f"{urls.label(f'{parts.scheme}://{parts.netloc}')} {parts.path}",
                      "when": when, **compressed_sizes(response.content)})
    inline: dict[str, str] = {}
    for run in runs:
        for when, text in run.inline_scripts:
            inline.setdefault(text, when)
    for index, (text, when) in enumerate(inline.items()):
        sizes.append({"script": f"inline script {index + 1}", "when": when, **compressed_sizes(text.encode())})
    return sizes


def request_medians(runs: list[Run]) -> dict[str, float | None]:
    """The medians of :data:`REQUEST_TIMINGS`: with latency added, each
    request should take about that much longer; preflights show whether it
    reached them."""
    def durations(preflight: bool) -> list[float | None]:
        return [ms for run in runs for text, ms in zip(run.requests, run.request_ms)
                if ("(preflight" in text) == preflight]

    popup = [ms for run in runs for ms in run.popup_request_ms]
    return {"request_ms": _median(durations(False)), "preflight_ms": _median(durations(True)),
            "popup_request_ms": _median(popup)}


def summarize(runs: list[Run], urls: Urls) -> dict:
    scripts = script_sizes(runs, urls)
    sequences = Counter(tuple(run.requests) for run in runs)
    typical, seen = sequences.most_common(1)[0]
    return {
        # Inline scripts are kept as their sizes (in "scripts"), not their text.
        "runs": [asdict(run) | {"inline_scripts": len(run.inline_scripts)} for run in runs],
        "median": {name: statistics.median(getattr(run, name) for run in runs) for name in TIMINGS}
        | {"requests": statistics.median(len(run.requests) for run in runs),
           "page_load_requests": statistics.median(len(run.page_load_requests) for run in runs)}
        | request_medians(runs),
        "requests": list(typical),
        "requests_same_in_every_run": seen == len(runs),
        "popup_requests": list(Counter(tuple(run.popup_requests) for run in runs).most_common(1)[0][0]),
        "page_load_requests": list(Counter(tuple(run.page_load_requests) for run in runs).most_common(1)[0][0]),
        "page_errors": sorted({error for run in runs for error in run.page_errors}),
        "scripts": scripts,
        "js": {kind: sum(script[kind] for script in scripts) for kind in ("raw", "gzip", "brotli")},
        "js_at_page_load": {kind: sum(script[kind] for script in scripts if script["when"] == "page load")
                            for kind in ("raw", "gzip", "brotli")},
    }


def run_latencies(stack: Stack, runs: int, latencies: list[float], failures: Path, log=print) -> dict:
    """The side-by-side once per added browser latency (ms), in the order
    given: what both pages share (Chromium, settings) once, each latency's
    sides and ratios under ``by_latency``."""
    results = []
    for latency_ms in latencies:
        log(f"browser, +{latency_ms:g} ms per round trip: {runs} sign-in(s) per side, after one warm-up each")
        results.append(run_side_by_side(stack, runs, failures, latency_ms=latency_ms, log=log))
    shared = ("chromium", "runs", "warmups", "gzip_level", "brotli_quality")
    return {key: results[0][key] for key in shared} | {
        "latencies_ms": list(latencies),
        "by_latency": [{key: value for key, value in result.items() if key not in shared} for result in results],
    }


@contextmanager
def page_origins(stack: Stack, latency_ms: float):
    """The origins the page talks to: at 0 the servers' own; above, a
    latency proxy's each (the app, the SPA's static server and the local
    Cognito, which the SPA's page then names as its ``userPoolEndpoint``).
    The local Authsignal (the popup's iframe, its dev inbox) stays direct."""
    if not latency_ms:
        yield stack.urls
        return
    targets = {"app": stack.urls.app, "spa": stack.urls.spa, "cognito": stack.urls.cognito}
    # The local Cognito (Werkzeug) closes its connection after every response;
    # Cognito keeps the browser's (bench/latency_proxy.py, keep_alive).
    with LatencyProxies(targets, latency_ms, keep_alive=("cognito",),
                        log=stack.directory / "latency-proxy.log") as origins:
        stack.write_spa_page(cognito_endpoint=origins["cognito"])
        try:
            yield dataclasses.replace(stack.urls, **origins)
        finally:
            stack.write_spa_page(cognito_endpoint=stack.urls.cognito)


def run_side_by_side(stack: Stack, runs: int, failures: Path, warmups: int = 1, chromium: str | None = None,
                     latency_ms: float = 0, log=print) -> dict:
    with page_origins(stack, latency_ms) as urls:
        return _run_side_by_side(urls, runs, failures, warmups, chromium, latency_ms, log)


def _run_side_by_side(urls: Urls, runs: int, failures: Path, warmups: int, chromium: str | None, latency_ms: float,
                      log) -> dict:
    from playwright.sync_api import sync_playwright

    executable = chromium or find_chromium()
    if executable is None:
        raise BrowserBenchError("no Chromium found (scripts/ensure-chromium installs Debian's)")
    recorded: dict[str, list[Run]] = {side: [] for side in SIDES}
    failed: dict[str, list[str]] = {side: [] for side in SIDES}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            version = browser.version
            for index in range(warmups + runs):
                order = ("spa", "app") if index % 2 == 0 else ("app", "spa")
                for side in order:
                    label = "warm-up" if index < warmups else f"run {index - warmups + 1}/{runs}"
                    try:
                        run = sign_in_once(browser, urls, side, failures)
                    except BrowserBenchError as error:
                        failed[side].append(str(error))
                        log(f"  browser {label} {side}: FAILED {error}")
                        continue
                    if index >= warmups:
                        recorded[side].append(run)
                    log(f"  browser +{latency_ms:g} ms {label} {side}: click->signed in "
                        f"{run.click_to_signed_in_ms:.0f} ms, {len(run.requests)} requests "
                        f"(median {request_medians([run])['request_ms'] or 0:.0f} ms each, preflights apart)")
        finally:
            browser.close()
    for side, side_runs in recorded.items():
        if not side_runs:
            raise BrowserBenchError(f"no {side} sign-in succeeded in the browser: {failed[side][:2]}")
    sides = {side: summarize(side_runs, urls) | {"failures": failed[side]} for side, side_runs in recorded.items()}
    ratio = {
        name: _ratio(sides["app"]["median"][name], sides["spa"]["median"][name])
        for name in (*TIMINGS, "requests", "page_load_requests", *REQUEST_TIMINGS)
    } | {kind: _ratio(sides["app"]["js"][kind], sides["spa"]["js"][kind]) for kind in ("raw", "gzip", "brotli")
         } | {f"{kind} at page load": _ratio(sides["app"]["js_at_page_load"][kind], sides["spa"]["js_at_page_load"][kind])
              for kind in ("raw", "gzip", "brotli")}
    return {
        "chromium": version,
        "latency_ms": latency_ms,
        "runs": runs,
        "warmups": warmups,
        "gzip_level": GZIP_LEVEL,
        "brotli_quality": BROTLI_QUALITY,
        "sides": sides,
        "ratio_app_to_spa": ratio,
    }


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None
