"""The pages' JavaScript: the Web SDK from node_modules (installed by `npm
ci`, never committed), and the app's own scripts, minified by `make setup`
(esbuild, into build/static/) when that has run and is newer than the source,
else served as written. The sign-in page's script comes with the Web SDK in
front of it, as one download (one request, and gzip's dictionary shared)."""

from __future__ import annotations

import logging
from pathlib import Path

from functools import lru_cache

from flask import Flask, Response, abort, request, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
WEB_SDK_DIR = ROOT / "node_modules" / "@authsignal" / "browser" / "dist"
SOURCE_DIR = ROOT / "static"
MINIFIED_DIR = ROOT / "build" / "static"
#: The app's own scripts (static/<name>.js).
SCRIPTS = ("sign-in", "sign-in-modes", "passkeys")
#: Served with the Web SDK in front of them.
WITH_WEB_SDK = ("sign-in",)
log = logging.getLogger(__name__)


def init_assets(app: Flask) -> None:
    @app.get("/vendor/authsignal-browser.js")
    def web_sdk():
        sdk = _web_sdk_file()
        return send_from_directory(sdk.parent, sdk.name, mimetype="text/javascript", max_age=3600)

    @app.get("/assets/<name>.js")
    def script(name: str):
        if name not in SCRIPTS:
            abort(404)
        if name not in WITH_WEB_SDK:
            return send_from_directory(script_folder(name), f"{name}.js", mimetype="text/javascript")
        sdk, own = _web_sdk_file(), script_folder(name) / f"{name}.js"
        response = Response(_bundle(sdk, sdk.stat().st_mtime, own, own.stat().st_mtime), mimetype="text/javascript")
        response.add_etag()
        return response.make_conditional(request)


def _web_sdk_file() -> Path:
    """The Web SDK's bundle, or a 404 (and a log line saying how to get it)."""
    sdk = WEB_SDK_DIR / "index.min.js"
    if not sdk.is_file():
        log.error("node_modules/@authsignal/browser is missing: run `npm ci` (or `make run`)")
        abort(404)
    return sdk


def script_folder(name: str) -> Path:
    """Where ``<name>.js`` is served from: the minified build, unless it is
    missing or older than the source (edited since `make setup`)."""
    minified, source = MINIFIED_DIR / f"{name}.js", SOURCE_DIR / f"{name}.js"
    if minified.is_file() and minified.stat().st_mtime >= source.stat().st_mtime:
        return MINIFIED_DIR
    return SOURCE_DIR


@lru_cache(maxsize=4)
def _bundle(sdk: Path, sdk_mtime: float, own: Path, own_mtime: float) -> bytes:
    """The Web SDK, then the app's script (kept while neither file changes)."""
    return sdk.read_bytes() + b"\n" + own.read_bytes()
