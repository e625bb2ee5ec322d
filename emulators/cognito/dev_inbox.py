"""The local Cognito's dev inbox: every email it "sends" (the ForgotPassword
codes), newest first, as a page and as JSON.

``GET /_dev/inbox`` (HTML) and ``GET /_dev/inbox.json?to=<email>``
(``[{"to", "subject", "body", "code", "sentAt"}]``, the filter
case-insensitive): the same shape as the local Authsignal's inbox, so one
helper reads both. All text is escaped; the answers carry no CORS headers and
the app's Host allow-list applies, so no other web page can read the codes.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, Response, render_template_string, request

from .service import CognitoService

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="refresh" content="5">
  <title>Dev inbox · Cognito (local)</title>
  <style>
    body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; padding: 0 1rem; color: #222; }
    .badge { display: inline-block; background: #ff9900; color: #111; border-radius: 4px; padding: 0 .5rem; }
    article { border: 1px solid #ddd; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
    h2 { font-size: 1.05rem; margin: 0; }
    .meta { color: #555; margin: .25rem 0; }
    .code { font: 600 1.6rem/1.2 ui-monospace, monospace; letter-spacing: .2em; margin: .5rem 0; }
    pre { white-space: pre-wrap; margin: 0; }
  </style>
</head>
<body>
  <main>
    <p class="badge">Local Cognito emulator</p>
    <h1>Dev inbox{% if recipient %} for {{ recipient }}{% endif %}</h1>
    <p>Every email the local Cognito sends (password reset codes) lands here, newest first.
       This page refreshes every 5 seconds. JSON: <a href="{{ json_url }}">inbox.json</a>.</p>
    {% if not messages %}<p>No emails yet.</p>{% endif %}
    {% for m in messages %}
      <article>
        <h2>{{ m.subject }}</h2>
        <p class="meta">To <strong>{{ m.to }}</strong> at <time datetime="{{ m.sentAt }}">{{ m.sentAt }}</time></p>
        {% if m.code %}<p class="code">{{ m.code }}</p>{% endif %}
        <pre>{{ m.body }}</pre>
      </article>
    {% endfor %}
  </main>
</body>
</html>
"""

#: Nothing but the page's own inline style; never framed, never a form target.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def blueprint(service: CognitoService) -> Blueprint:
    bp = Blueprint("cognito_dev_inbox", __name__)

    @bp.get("/inbox.json")
    def inbox_json():
        body = json.dumps(service.inbox(_recipient()))
        return _private(Response(body, content_type="application/json"))

    @bp.get("/inbox")
    def inbox_page():
        recipient = _recipient()
        json_url = "inbox.json" + (f"?to={_quote(recipient)}" if recipient else "")
        html = render_template_string(
            PAGE, messages=service.inbox(recipient), recipient=recipient, json_url=json_url
        )
        response = _private(Response(html, content_type="text/html; charset=utf-8"))
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return bp


def _recipient() -> str | None:
    return request.args.get("to") or None


def _quote(text: str) -> str:
    return quote(text, safe="@")


def _private(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
