"""AUTHSIGNAL_UI_MODE: the page's mode, and redirect mode's callback, which
finishes a sign-in on the server and refuses an unknown or replayed one."""

from __future__ import annotations

import pytest

from .conftest import Browserless
from .test_sign_in import win


@pytest.mark.parametrize("mode", ["popup", "window", "redirect"])
def test_the_page_runs_the_configured_mode(make_app, mode):
    page = Browserless(make_app(environ={"AUTHSIGNAL_UI_MODE": mode}).test_client()).page().get_data(as_text=True)

    assert f'"uiMode": "{mode}"' in page


def test_an_unknown_mode_is_named(make_app):
    from app.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match="^AUTHSIGNAL_UI_MODE 'tab' is malformed"):
        make_app(environ={"AUTHSIGNAL_UI_MODE": "tab"})


def test_the_callback_finishes_the_sign_in_once(user, authsignal_emulator, email):
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    token = win(authsignal_emulator, url, email)

    finished = user.client.get(f"/auth/callback?token={token}")
    page = user.page(finished.headers["Location"]).get_data(as_text=True)
    replayed = user.client.get(f"/auth/callback?token={token}")

    assert finished.status_code == 303
    assert f"Signed in as {email}" in page
    assert replayed.status_code == 409
    assert "This sign-in is already over" in replayed.get_data(as_text=True)


def test_a_callback_in_another_browser_signs_no_one_in(user, client, app, authsignal_emulator, email):
    url = user.post_json("/api/sign-in", {"email": email}).get_json()["url"]
    token = win(authsignal_emulator, url, email)
    stranger = app.test_client()

    response = stranger.get(f"/auth/callback?token={token}")

    assert response.status_code == 409
    assert "Signed in as" not in stranger.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?token=", "?token=has spaces", "?token=" + "x" * 5000])
def test_a_malformed_callback_says_so(user, query):
    response = user.client.get(f"/auth/callback{query}")

    assert response.status_code == 400
    assert "This sign-in link is not valid." in response.get_data(as_text=True)


def test_a_failed_challenge_through_the_callback_says_start_again(user, email):
    user.post_json("/api/sign-in", {"email": email})

    response = user.client.get("/auth/callback?token=a.b.c")

    assert response.status_code == 422
    assert "Start again" in response.get_data(as_text=True)


# ----- which method was used ----------------------------------------------------------
def test_the_page_says_which_method_was_used(user, authsignal_emulator, email):
    from .test_sign_in import sign_in

    sign_in(user, authsignal_emulator, email)

    page = " ".join(user.page().get_data(as_text=True).split())
    assert "<dt>Verified with</dt> <dd>Email code</dd>" in page


def test_without_the_secret_the_method_is_not_asked_for(make_app, authsignal_emulator, email):
    from .test_sign_in import sign_in

    user = Browserless(make_app(environ={"AUTHSIGNAL_SECRET": " "}).test_client())
    sign_in(user, authsignal_emulator, email)

    page = user.page().get_data(as_text=True)
    assert f"Signed in as {email}" in page and "Verified with" not in page


def test_authsignal_failing_to_say_the_method_fails_no_sign_in(make_app, authsignal_emulator, email):
    from .test_sign_in import sign_in

    user = Browserless(make_app(environ={"AUTHSIGNAL_SECRET": "a-wrong-secret"}).test_client())
    confirmed = sign_in(user, authsignal_emulator, email)

    assert confirmed.status_code == 200
    page = user.page().get_data(as_text=True)
    assert f"Signed in as {email}" in page and "Verified with" not in page
