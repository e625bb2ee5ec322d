"""Request bodies: a few KiB at most, refused before anything reads them, and
JSON nested too deeply is bad input, not a server error."""

from __future__ import annotations

import io

import pytest

from app.json_bodies import MAX_BODY_BYTES


@pytest.mark.parametrize("path", ["/api/sign-in", "/api/confirm"])
def test_a_large_json_body_is_refused_with_the_apps_413(user, path):
    response = user.client.post(
        path, data=b'{"email": "' + b"a" * (10 * 1024 * 1024) + b'"}',
        content_type="application/json", headers={"X-CSRFToken": user.csrf},
    )

    assert response.status_code == 413
    assert response.get_json() == {"error": "request_entity_too_large", "message": "That request is too large."}


def test_a_large_multipart_sign_out_is_refused_before_the_csrf_check(user):
    files = {"upload": (io.BytesIO(b"x" * (8 * 1024 * 1024)), "big.bin")}

    response = user.client.post("/sign-out", data=files, content_type="multipart/form-data")

    assert response.status_code == 413
    assert "That request is too large." in response.get_data(as_text=True)
    assert "<h1>Something went wrong</h1>" in response.get_data(as_text=True), "the app's page, not Werkzeug's"


def test_a_body_within_the_limit_is_read(user, email):
    padding = "x" * (MAX_BODY_BYTES - 200)

    response = user.post_json("/api/sign-in", {"email": email, "padding": padding})

    assert response.status_code == 200


@pytest.mark.parametrize("depth", [17, 1_000, 4_000])
@pytest.mark.parametrize("path", ["/api/sign-in", "/api/confirm"])
def test_deeply_nested_json_is_bad_input(user, path, depth):
    response = user.client.post(
        path, data="[" * depth + "]" * depth, content_type="application/json", headers={"X-CSRFToken": user.csrf}
    )

    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_input", "message": "Send a JSON object."}
