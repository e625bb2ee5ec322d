"""The dev inbox: every email the local Authsignal "sends", newest first."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .http_common import json_response, service
from .prebuilt_ui import secure_page

bp = Blueprint("authsignal_dev_inbox", __name__)


@bp.get("/inbox.json")
def inbox_json():
    recipient = request.args.get("to") or None
    return json_response(service().inbox(recipient))


@bp.get("/inbox")
def inbox_page():
    recipient = request.args.get("to") or None
    return secure_page(
        render_template("authsignal/inbox.html", messages=service().inbox(recipient), recipient=recipient)
    )
