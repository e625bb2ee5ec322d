"""What a browser test's page went through, for the report of a failed test:
the console, uncaught errors, failed and refused requests with their timing,
and the text of each frame when the test failed. A flaky browser test in CI
then says what the page saw, not only which assertion timed out. URLs are
shown without their query, where the pre-built UI's track token travels."""

from __future__ import annotations

import time


#: In every frame: where each real mouse press lands, so that a click lost on
#: its way (into an iframe drawn in another process, say) shows where it went.
WHERE_PRESSES_LAND = """
addEventListener("pointerdown", (event) => {
  if (!event.isTrusted) return;
  const target = event.target, frame = window === top ? "page" : location.origin;
  console.debug(`[press] ${frame}: ${target.tagName}${target.id ? "#" + target.id : ""} `
    + `"${(target.textContent || "").trim().slice(0, 30)}" at ${Math.round(event.clientX)},${Math.round(event.clientY)}`);
}, true);
"""


class PageRecord:
    """Listens to one page (and its frames) from the start of a test."""

    def __init__(self, page):
        self.page = page
        self.started = time.monotonic()
        self.lines: list[str] = []
        self.problems: list[str] = []  # console errors, uncaught errors, failed requests
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._add(f"page error: {error}", problem=True))
        page.on("requestfailed", lambda request: self._add(
            f"request failed: {request.method} {_without_query(request.url)} ({request.failure})", problem=True))
        page.on("response", self._response)
        page.on("framenavigated", lambda frame: self._add(f"frame navigated: {_without_query(frame.url)}"))

    def watch_presses(self) -> None:
        """Log where presses land, in the page's documents from now on (a call
        to Playwright, during which it may announce events: see ``record_page``)."""
        self.page.add_init_script(WHERE_PRESSES_LAND)

    def _add(self, line: str, problem: bool = False) -> None:
        self.lines.append(f"{time.monotonic() - self.started:7.3f}s {line}")
        if problem:
            self.problems.append(line)

    def _console(self, message) -> None:
        self._add(f"console.{message.type}: {message.text}", problem=message.type == "error")

    def _response(self, response) -> None:
        request = response.request
        if request.resource_type in ("fetch", "xhr", "document") or response.status >= 400:
            self._add(f"{response.status} {request.method} {_without_query(response.url)}")

    def report(self) -> str:
        """The record so far, then each frame's visible text as it is now."""
        text = ["What the page went through:", *self.lines, "", "What its frames show now:"]
        try:
            for frame in self.page.frames:
                body = frame.evaluate("() => document.body ? document.body.innerText : ''")
                text.append(f"--- {_without_query(frame.url)}\n{body.strip()}")
        except Exception as error:  # the page may be gone or hung
            text.append(f"(could not read the frames: {error})")
        return "\n".join(text)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]
