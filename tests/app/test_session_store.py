"""The server-side session store: nothing for anonymous visitors, minutes for a
sign-in in progress, and a signed-in session that no flood, full store or
slow Redis can drop, with the app's own 503 when the store is unavailable."""

from __future__ import annotations

import time

import pytest
import redis

from app.session_store import FileSessionStore, SessionStoreUnavailable
from app.user_session import PENDING_LIFETIME_SECONDS, SIGNED_IN_LIFETIME_SECONDS

from .conftest import Browserless
from .test_sign_in import sign_in

ANONYMOUS_VISITS = 20_000


def signed_in_users(app, authsignal_emulator, count: int) -> list[tuple[Browserless, str]]:
    users = []
    for number in range(count):
        email = f"flood-{number}-{time.monotonic_ns()}@example.com"
        user = Browserless(app.test_client())
        assert sign_in(user, authsignal_emulator, email).status_code == 200
        users.append((user, email))
    return users


def assert_still_signed_in(users) -> None:
    for user, email in users:
        assert f"Signed in as {email}" in user.page().get_data(as_text=True)


def test_anonymous_visits_store_nothing_and_sign_out_nobody(app, authsignal_emulator, tmp_path):
    users = signed_in_users(app, authsignal_emulator, 3)
    files_before = sorted(path.name for path in tmp_path.iterdir())
    anonymous = app.test_client(use_cookies=False)

    statuses = {anonymous.get("/").status_code for _ in range(ANONYMOUS_VISITS)}

    assert statuses == {200}

    assert sorted(path.name for path in tmp_path.iterdir()) == files_before
    assert_still_signed_in(users)


def test_an_anonymous_page_keeps_its_csrf_token_in_the_signed_cookie_only(client, tmp_path):
    response = client.get("/")

    assert response.status_code == 200
    assert "__Host-session=" in response.headers["Set-Cookie"]
    assert list(tmp_path.iterdir()) == []


def test_a_flood_of_sign_ins_in_progress_never_drops_a_signed_in_session(app, authsignal_emulator):
    users = signed_in_users(app, authsignal_emulator, 2)
    store = app.extensions["session_store"]

    for number in range(10_500):  # more than the old store's 10,000-entry threshold
        store.set(f"pending-{number}", {"pending_sign_in": {"email": "x@example.com"}}, PENDING_LIFETIME_SECONDS)

    assert_still_signed_in(users)


def test_the_file_store_sweeps_only_expired_records(tmp_path):
    store = FileSessionStore(str(tmp_path))
    store.set("expired", {"pending_sign_in": {}}, 1)
    store.set("live", {"auth": {}}, 3600)
    time.sleep(1.1)

    store.sweep()

    assert store.get("live") == {"auth": {}}
    assert len(list(tmp_path.iterdir())) == 1


def test_a_store_that_cannot_write_answers_503(make_app, tmp_path, email):
    directory = tmp_path / "sessions"
    user = Browserless(make_app(environ={"SESSION_FILE_DIR": str(directory)}).test_client())
    user.page()
    directory.rmdir()
    directory.write_text("not a folder: no write can succeed, not even root's")

    response = user.post_json("/api/sign-in", {"email": email})

    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"


def test_a_pending_sign_in_lives_minutes_not_days(user, email, monkeypatch):
    user.post_json("/api/sign-in", {"email": email})
    started = time.time()
    monkeypatch.setattr("app.user_session.time.time", lambda: started + PENDING_LIFETIME_SECONDS + 1)

    response = user.post_json("/api/confirm", {"token": "a.b.c"})

    assert response.status_code == 409
    assert response.get_json()["error"] == "session_expired"
    assert response.get_json()["startAgain"] is True


# ----- Redis --------------------------------------------------------------------------
@pytest.fixture
def redis_app(make_app, redis_server):
    redis_server.flush()
    return make_app(environ={"SESSION_REDIS_URL": redis_server.url})


def redis_keys(redis_server) -> list[bytes]:
    return sorted(redis.Redis.from_url(redis_server.url).keys("*"))


def test_with_redis_anonymous_visits_add_no_key(redis_app, redis_server, authsignal_emulator):
    users = signed_in_users(redis_app, authsignal_emulator, 2)
    keys_before = redis_keys(redis_server)
    anonymous = redis_app.test_client(use_cookies=False)

    for _ in range(2_000):
        anonymous.get("/")

    assert redis_keys(redis_server) == keys_before
    assert_still_signed_in(users)


def test_with_redis_a_sign_in_in_progress_expires_in_minutes_and_a_signed_in_one_in_days(
    redis_app, redis_server, authsignal_emulator, email
):
    client = redis.Redis.from_url(redis_server.url)
    pending = Browserless(redis_app.test_client())
    pending.post_json("/api/sign-in", {"email": email})
    signed_in = signed_in_users(redis_app, authsignal_emulator, 1)[0][0]

    assert 0 < client.ttl(f"session:{pending.session_id()}") <= PENDING_LIFETIME_SECONDS
    assert client.ttl(f"session:{signed_in.session_id()}") > SIGNED_IN_LIFETIME_SECONDS - 60


@pytest.mark.parametrize("failure", ["paused", "stopped"])
def test_redis_unavailable_gives_the_apps_503_quickly(redis_app, redis_server, authsignal_emulator, failure):
    user, email = signed_in_users(redis_app, authsignal_emulator, 1)[0]
    anonymous = Browserless(redis_app.test_client())
    anonymous.page()
    if failure == "paused":
        redis_server.pause()
    else:
        redis_server.stop()
    try:
        started = time.monotonic()
        page = user.page()
        page_seconds = time.monotonic() - started
        api = anonymous.post_json("/api/sign-in", {"email": "someone@example.com"})
        anonymous_page = Browserless(redis_app.test_client()).page()
    finally:
        if failure == "paused":
            redis_server.resume()
        else:
            redis_server.start()

    assert page.status_code == 503
    assert "session storage is not answering" in page.get_data(as_text=True)
    assert "<h1>Something went wrong</h1>" in page.get_data(as_text=True)
    assert page_seconds < 3
    assert api.status_code == 503
    assert api.get_json()["error"] == "session_store_unavailable"
    assert api.headers["Retry-After"] == "5"
    assert anonymous_page.status_code == 200, "a visitor with no session needs no store"
    if failure == "paused":
        assert f"Signed in as {email}" in user.page().get_data(as_text=True), "nothing was lost"


def test_the_rate_limit_store_unavailable_is_the_same_503(redis_app, redis_server):
    user = Browserless(redis_app.test_client())
    user.page()
    redis_server.pause()
    try:
        response = user.post_json("/api/confirm", {"token": "a.b.c"})
    finally:
        redis_server.resume()

    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"


def test_the_redis_store_never_retries(redis_server):
    from app.session_store import RedisSessionStore

    store = RedisSessionStore(redis_server.url, timeout_seconds=0.3)
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(SessionStoreUnavailable):
            store.get("anything")
        elapsed = time.monotonic() - started
    finally:
        redis_server.resume()

    assert elapsed < 0.9, "one attempt of 0.3 s, not redis-py's default three retries"
