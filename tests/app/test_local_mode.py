"""Local mode: with no service settings the app starts both emulators itself,
and the README's run command serves the demo."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest
import requests

from app import create_app
from app.settings import ConfigurationError
from tests.conftest import ROOT
from tests.support.ports import free_port

from .conftest import Browserless
from .test_sign_in import win


@pytest.fixture
def local_app(tmp_path, monkeypatch):
    # The local stack points the in-process lambdas at its Authsignal through
    # the environment; monkeypatch puts the session's values back afterwards.
    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    ports = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port())}
    app = create_app({"TESTING": True, "ENVIRON": {**ports, "LOCAL_STATE_DIR": str(tmp_path / "state")}})
    return app, ports


def test_local_mode_starts_both_emulators_and_links_the_dev_inbox(local_app, email):
    app, ports = local_app
    settings = app.extensions["settings"]
    user = Browserless(app.test_client())

    page = user.page().get_data(as_text=True)
    started = user.post_json("/api/sign-in", {"email": email}).get_json()
    authsignal_origin = f"http://localhost:{ports['LOCAL_AUTHSIGNAL_PORT']}"

    assert settings.cognito_endpoint_url == f"http://127.0.0.1:{ports['LOCAL_COGNITO_PORT']}"
    assert settings.authsignal_url == f"{authsignal_origin}/v1"
    assert f'href="{authsignal_origin}/_dev/inbox"' in page
    assert started["url"].startswith(f"{authsignal_origin}/challenge?token=")


def test_local_mode_signs_in_end_to_end(local_app, email):
    app, _ = local_app

    class Emulator:  # what the Authsignal helpers need of an emulator
        origin = app.extensions["settings"].authsignal_ui_origin
        base_url = app.extensions["settings"].authsignal_url

    user = Browserless(app.test_client())
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    confirmed = user.post_json("/api/confirm", {"token": win(Emulator, url, email)})

    assert confirmed.status_code == 200, confirmed.get_json()
    assert f"Signed in as {email}" in user.page().get_data(as_text=True)


def test_local_mode_demos_the_password_mfa_flow(tmp_path, monkeypatch, email):
    """SIGN_IN_FLOW=password_mfa make run: sign-up, then the authenticator app
    the local tenant offers first, enrolled with a code computed from its secret."""
    import pyotp

    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET", "SIGN_IN_FLOW"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    ports = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port())}
    app = create_app({"TESTING": True, "ENVIRON": {
        **ports, "LOCAL_STATE_DIR": str(tmp_path / "state"), "SIGN_IN_FLOW": "password_mfa",
    }})
    authsignal = app.extensions["settings"].authsignal_url
    user = Browserless(app.test_client())

    page = user.page().get_data(as_text=True)
    url = user.post_json("/api/sign-up", {"email": email, "password": "Correct-Horse-7-battery"}).get_json()["url"]
    bearer = {"Authorization": f"Bearer {url.split('token=', 1)[1]}"}
    challenge = requests.get(url, timeout=5)
    enrolment = requests.post(f"{authsignal}/client/user-authenticators/totp", headers=bearer, json={}, timeout=5).json()
    verified = requests.post(f"{authsignal}/client/verify/totp", headers=bearer, timeout=5,
                             json={"verificationCode": pyotp.TOTP(enrolment["secret"]).now()}).json()
    confirmed = user.post_json("/api/confirm", {"token": verified["accessToken"]})

    assert f'href="http://127.0.0.1:{ports["LOCAL_COGNITO_PORT"]}/_dev/inbox"' in page
    assert challenge.status_code == 200
    assert confirmed.status_code == 200, confirmed.get_json()
    assert f"Signed in as {email}" in user.page().get_data(as_text=True)


def test_a_busy_local_port_stops_start_up_with_a_clear_message(tmp_path, authsignal_emulator, monkeypatch):
    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    busy = str(authsignal_emulator.origin.rsplit(":", 1)[1])

    with pytest.raises(ConfigurationError, match=rf"cannot listen on 127.0.0.1:{busy} .*set LOCAL_AUTHSIGNAL_PORT"):
        create_app({"ENVIRON": {"LOCAL_AUTHSIGNAL_PORT": busy, "LOCAL_STATE_DIR": str(tmp_path)}})


def test_a_page_loaded_before_a_restart_still_posts_after_it(tmp_path, monkeypatch, email):
    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    state = str(tmp_path / "state")

    def start():
        ports = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port())}
        return create_app({"TESTING": True, "ENVIRON": {**ports, "LOCAL_STATE_DIR": state}})

    before = Browserless(start().test_client())
    before.page()
    after = start().test_client()
    after.set_cookie("session", before.session_cookie().value)

    response = after.post("/api/sign-in", json={"email": email}, headers={"X-CSRFToken": before.csrf})

    assert response.status_code == 200, response.get_json()
    key_file = tmp_path / "state" / "flask-secret-key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def flask_environment(**settings) -> dict:
    """The process environment without service settings or a developer's .env."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "AUTHSIGNAL_", "FLASK_"))},
        "FLASK_SKIP_DOTENV": "1",
        **settings,
    }


def test_the_readme_run_command_serves_the_demo(tmp_path):
    port, cognito_port, authsignal_port = free_port(), free_port(), free_port()
    env = {
        **flask_environment(),
        "LOCAL_COGNITO_PORT": str(cognito_port),
        "LOCAL_AUTHSIGNAL_PORT": str(authsignal_port),
        "LOCAL_STATE_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        while not any("Running on" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        sdk = requests.get(f"http://127.0.0.1:{port}/vendor/authsignal-browser.js", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)

    output = "".join(lines)
    assert "Local mode" in output
    assert f"http://127.0.0.1:{cognito_port}" in output
    assert f"http://localhost:{authsignal_port}/_dev/inbox" in output
    assert page.status_code == 200 and "dev inbox" in page.text
    assert sdk.status_code == 200 and "launch" in sdk.text


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"COGNITO_USER_POOL_ID": "bad"}, "Configuration error: FLASK_SECRET_KEY is not set"),
        (
            {"COGNITO_USER_POOL_ID": "bad", "COGNITO_CLIENT_ID": "abc", "AUTHSIGNAL_TENANT_ID": "t",
             "FLASK_SECRET_KEY": "k" * 40},
            "Configuration error: COGNITO_USER_POOL_ID 'bad' is malformed",
        ),
    ],
)
def test_a_bad_setting_stops_flask_run_with_one_line(settings, message):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "run", "--port", str(free_port())],
        cwd=ROOT, env=flask_environment(**settings), capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


#: The sign-in page's JavaScript, the Web SDK included, gzip'd (level 9): the
#: budget of the benchmark issue ("no more than today", 16 kB as the benchmark
#: reports it), guarded here.
JS_BUDGET_GZIP_BYTES = 16_000


def test_the_sign_in_page_ships_at_most_16_kb_of_gzipped_javascript(user, web_sdk_path):
    """Every script the page loads counts, the Web SDK included; needs `make
    setup`'s minified build."""
    import re

    from app.assets import MINIFIED_DIR, script_folder

    page = user.page().get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)

    sizes = {path: len(gzip.compress(user.client.get(path).get_data(), compresslevel=9)) for path in scripts}

    assert scripts == ["/assets/sign-in.js"]  # the Web SDK is in front of the page's own script
    assert script_folder("sign-in") == MINIFIED_DIR, "run `make setup`: it minifies static/*.js into build/static/"
    assert sum(sizes.values()) <= JS_BUDGET_GZIP_BYTES, sizes


def test_a_script_edited_since_setup_is_served_as_written(tmp_path, monkeypatch):
    from app import assets

    monkeypatch.setattr(assets, "SOURCE_DIR", tmp_path / "static")
    monkeypatch.setattr(assets, "MINIFIED_DIR", tmp_path / "build")
    for folder, when in (("build", 100), ("static", 200)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sign-in.js").write_text("x")
        os.utime(tmp_path / folder / "sign-in.js", (when, when))

    assert assets.script_folder("sign-in") == tmp_path / "static"
    os.utime(tmp_path / "build" / "sign-in.js", (300, 300))
    assert assets.script_folder("sign-in") == tmp_path / "build"


def test_the_sign_in_bundle_is_the_web_sdk_then_the_pages_script_and_revalidates(user, web_sdk_path):
    from app.assets import MINIFIED_DIR

    first = user.client.get("/assets/sign-in.js")
    again = user.client.get("/assets/sign-in.js", headers={"If-None-Match": first.headers["ETag"]})

    assert first.get_data() == web_sdk_path.read_bytes() + b"\n" + (MINIFIED_DIR / "sign-in.js").read_bytes()
    assert first.mimetype == "text/javascript"
    assert again.status_code == 304


def test_the_window_and_redirect_modes_script_loads_only_for_them(make_app):
    popup = make_app().test_client().get("/").get_data(as_text=True)
    window = make_app(environ={"AUTHSIGNAL_UI_MODE": "window"}).test_client().get("/").get_data(as_text=True)

    assert "/assets/sign-in-modes.js" not in popup
    assert '<script src="/assets/sign-in-modes.js"></script>' in window


def test_only_the_apps_own_scripts_are_served_as_assets(user):
    assert user.client.get("/assets/sign-in.js").status_code == 200
    assert user.client.get("/assets/passkeys.js").status_code == 200
    assert user.client.get("/assets/sign-in-modes.js").status_code == 200
    assert user.client.get("/assets/..%2Fapp%2F__init__.js").status_code == 404
    assert user.client.get("/assets/settings.js").status_code == 404


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"LOCAL_AUTHSIGNAL_RULES": "rules.json"}, "the local emulator refused its settings"),
        ({"LOCAL_AUTHSIGNAL_METHODS": "FAX"}, "LOCAL_AUTHSIGNAL_METHODS 'FAX' is malformed"),
    ],
)
def test_a_bad_local_authsignal_setting_stops_start_up_with_one_line(tmp_path, settings, message):
    if "LOCAL_AUTHSIGNAL_RULES" in settings:  # a rules file the emulator cannot read
        rules = tmp_path / settings["LOCAL_AUTHSIGNAL_RULES"]
        rules.write_text('{"cognitoAuth": {"rules": [{"when": {"moonPhase": "full"}, "outcome": "ALLOW"}]}}')
        settings = {"LOCAL_AUTHSIGNAL_RULES": str(rules)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "run", "--port", str(free_port())],
        cwd=ROOT, env=flask_environment(LOCAL_STATE_DIR=str(tmp_path), LOCAL_COGNITO_PORT=str(free_port()),
                                        LOCAL_AUTHSIGNAL_PORT=str(free_port()), **settings),
        capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error:") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_local_mode_offers_the_methods_configured(tmp_path, monkeypatch, email):
    for name in ("AUTHSIGNAL_URL", "AUTHSIGNAL_SECRET", "SIGN_IN_FLOW", "AUTHSIGNAL_REDIRECT_URL"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    ports = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_AUTHSIGNAL_PORT": str(free_port())}
    app = create_app({"TESTING": True, "ENVIRON": {
        **ports, "LOCAL_STATE_DIR": str(tmp_path / "state"), "LOCAL_AUTHSIGNAL_METHODS": "SMS,WHATSAPP,EMAIL_MAGIC_LINK",
    }})
    settings = app.extensions["settings"]
    user = Browserless(app.test_client())
    user.post_json("/api/sign-in", {"email": email})
    sub = user.record()["pending_sign_in"]["username"]

    tenant_user = requests.get(f"{settings.authsignal_url}/users/{sub}", auth=(settings.authsignal_secret, ""), timeout=5)

    assert tenant_user.json()["allowedVerificationMethods"] == ["SMS", "WHATSAPP", "EMAIL_MAGIC_LINK"]
