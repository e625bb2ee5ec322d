"""Drive the local Authsignal's client API the way its pre-built UI does."""

from __future__ import annotations

import requests


class ChallengeDriver:
    def __init__(self, emulator, track_token: str):
        self.emulator = emulator
        self.headers = {"Authorization": f"Bearer {track_token}"}

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(
            f"{self.emulator.base_url}/client{path}", headers=self.headers, json=body or {}, timeout=5
        )

    def send_code(self) -> requests.Response:
        return self.post("/challenge/email-otp")

    def verify(self, code: str) -> requests.Response:
        return self.post("/verify/email-otp", {"verificationCode": code})

    def enroll_totp(self) -> requests.Response:
        """What the Web SDK's ``totp.enroll()`` sends: a POST without a body."""
        return requests.post(
            f"{self.emulator.base_url}/client/user-authenticators/totp", headers=self.headers, timeout=5
        )

    def verify_totp(self, code: str) -> requests.Response:
        return self.post("/verify/totp", {"verificationCode": code})


def latest_code(emulator, email: str) -> str:
    messages = requests.get(f"{emulator.origin}/_dev/inbox.json", params={"to": email}, timeout=5).json()
    assert messages, f"no email for {email} in the dev inbox"
    return messages[0]["code"]


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def complete_challenge(emulator, track_response: dict, email: str) -> str:
    """Send a code, read it from the dev inbox, verify it; return the result token."""
    driver = ChallengeDriver(emulator, track_response["token"])
    assert driver.send_code().status_code == 200
    result = driver.verify(latest_code(emulator, email)).json()
    assert result["isVerified"] is True, result
    return result["accessToken"]


def send_code_in_ui(ui) -> None:
    """Press "Send code" in the pre-built UI (a Playwright page or frame), with
    the keyboard (see :func:`press_in_ui`), and wait until it asks for the
    code: the email is in the inbox by then. A page that says why it could not
    send fails at once, with what it said."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    press_in_ui(ui.get_by_role("button", name="Send code", exact=True))
    try:
        ui.get_by_label("Verification code").wait_for()
    except PlaywrightTimeout:
        said = [text for text in ui.get_by_role("alert").all_inner_texts() if text.strip()]
        assert not said, f"the pre-built UI did not send a code: {said}"
        raise


def enter_code_in_ui(ui, code: str) -> None:
    """Type the code into the pre-built UI and press Enter, as many people do
    (the form's Verify button is what Enter submits; see :func:`press_in_ui`)."""
    field = ui.get_by_label("Verification code")
    field.fill(code)
    press_in_ui(field)


def press_in_ui(element) -> None:
    """Enter on a button (or a field) of the pre-built UI: focus it, press Enter.

    Not a mouse click, because the SDK's popup is an iframe that Chromium may
    draw in another process: always with the real Authsignal (another site
    than the app), and here when the app is on ``localhost`` and the local
    Authsignal on ``127.0.0.1``. Chromium routes a click into such an iframe
    by where it was last drawn; right after the popup resizes to its next
    step, on a loaded machine, a click can reach the page behind it instead,
    and is lost without a trace. Seen in CI: a "Verify" click that sent no
    request and left no message, with the popup still on the code step
    (earlier, a "Send code" click). A person clicks long after the popup has
    settled; a test does not wait, and keyboard input goes to the focused
    frame wherever it is drawn. Clicks in a same-site popup (in the page's own
    process) are tested elsewhere."""
    element.press("Enter")


def sdk_page(title: str, script: str) -> str:
    """A stand-in app's page: the Web SDK from ``/sdk.js``, then ``script``,
    which ``window.makeClient(tenantId, baseUrl)`` precedes."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="/sdk.js"></script></head>
<body><h1>{title}</h1>
<script>
  window.makeClient = function (tenantId, baseUrl) {{
    window.client = new authsignal.Authsignal({{ tenantId: tenantId, baseUrl: baseUrl }});
  }};
{script}
</script></body></html>"""


def serve_sdk_page(page_html: str, web_sdk_path, **extra_pages: str):
    """A stand-in for an app, on another origin than the local Authsignal:
    ``/`` is ``page_html``, ``/sdk.js`` the unmodified Web SDK, and each of
    ``extra_pages`` (name -> html) at ``/<name>``. A context manager yielding
    the server (``.origin`` is http://127.0.0.1:<port>)."""
    from flask import Flask, send_file

    from emulators.background_server import BackgroundServer

    app = Flask("sdk_page")
    app.add_url_rule("/", "index", lambda: page_html)
    app.add_url_rule("/sdk.js", "sdk", lambda: send_file(web_sdk_path, mimetype="text/javascript"))
    for name, html in extra_pages.items():
        app.add_url_rule(f"/{name}", name, lambda html=html: html)
    return BackgroundServer(app)
