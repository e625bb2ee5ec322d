"""The dev inbox: every email, SMS and WhatsApp message the local Authsignal
"sends", newest first."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .http_common import json_response, service
from .prebuilt_ui import secure_page

bp = Blueprint("authsignal_dev_inbox", __name__)


def _recipient() -> str | None:
    """``?to=``: an email, or a phone number; a ``+`` typed unencoded in the
    address bar arrives as a space, and is put back."""
    recipient = request.args.get("to") or None
    if recipient and recipient.startswith(" ") and recipient[1:2].isdigit():
        recipient = "+" + recipient[1:]
    return recipient


@bp.get("/inbox.json")
def inbox_json():
    recipient = _recipient()
    return json_response(service().inbox(recipient))


@bp.get("/inbox")
def inbox_page():
    recipient = _recipient()
    return secure_page(
        render_template("authsignal/inbox.html", messages=service().inbox(recipient), recipient=recipient)
    )
