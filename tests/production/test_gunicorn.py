"""The shipped gunicorn configuration with a real gunicorn: a full sign-in,
stalled sign-ins that block nobody, the app's own 503 before the server's
timeout, and the refusals of a serving that would break the app."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tests.app.test_sign_in import win
from tests.support.servers import silent_server

from .conftest import Visitor, process_environment


def new_email() -> str:
    return f"prod-{uuid.uuid4().hex[:12]}@example.com"


def test_the_shipped_configuration_serves_a_full_sign_in(gunicorn, real_environ, authsignal_emulator):
    server = gunicorn(real_environ).wait_until_serving()
    visitor, email = Visitor(server.url), new_email()

    url = visitor.post_json("/api/sign-in", {"email": email}).json()["url"]
    token = win(authsignal_emulator, url, email)
    confirmed = visitor.post_json("/api/confirm", {"token": token})
    page = visitor.page(confirmed.json()["redirect"])

    assert confirmed.status_code == 200
    assert f"Signed in as {email}" in page.text
    log = server.output()
    assert "Using worker: gthread" in log
    assert '"POST /api/confirm HTTP/1.1" 200' in log, "one access-log line per request"
    assert token not in log and url not in log


def test_stalled_sign_ins_block_no_page_and_end_in_the_apps_503(gunicorn, real_environ):
    with silent_server() as silent:
        environ = {**real_environ, "COGNITO_ENDPOINT_URL": silent.removesuffix("/v1"), "UPSTREAM_DEADLINE_SECONDS": "3"}
        server = gunicorn(environ).wait_until_serving()
        answers: list[requests.Response] = []

        def stalled_sign_in():
            answers.append(Visitor(server.url).post_json("/api/sign-in", {"email": new_email()}))

        stalled = [threading.Thread(target=stalled_sign_in) for _ in range(6)]
        for thread in stalled:
            thread.start()
        page = requests.get(server.url + "/", timeout=10)
        still_waiting = sum(thread.is_alive() for thread in stalled)
        for thread in stalled:
            thread.join(timeout=30)

    assert page.status_code == 200
    assert still_waiting > 0, "the page was answered while sign-ins were stalled"
    assert [answer.status_code for answer in answers] == [503] * 6
    assert {answer.json()["error"] for answer in answers} == {"cognito_unavailable"}


def test_an_oversized_chunked_body_is_not_read(gunicorn, real_environ):
    """Without a Content-Length, Werkzeug reads a body only when the server says
    where it ends (``wsgi.input_terminated``) and then stops at the limit (413);
    gunicorn does not say so, and the app sees no body at all (400)."""
    server = gunicorn(real_environ).wait_until_serving()
    visitor = Visitor(server.url)
    visitor.page()

    def chunks():
        yield b'{"email": "'
        for _ in range(1024):
            yield b"a" * 1024
        yield b'"}'

    response = visitor.http.post(
        server.url + "/api/sign-in", data=chunks(), timeout=30,
        headers={"Content-Type": "application/json", "X-CSRFToken": visitor.csrf},
    )

    assert (response.status_code, response.json()["error"]) in (
        (413, "request_entity_too_large"),
        (400, "invalid_input"),
    ), response.text


@pytest.mark.parametrize(
    "arguments, settings, names",
    [
        (["-w", "3"], {}, "3 workers need SESSION_REDIS_URL"),
        (["--timeout", "10"], {}, "the server's timeout (10 s) must exceed UPSTREAM_DEADLINE_SECONDS"),
        ([], {"COGNITO_USER_POOL_ID": "bad"}, "FLASK_SECRET_KEY is not set"),
    ],
)
def test_a_serving_that_would_break_the_app_is_refused_with_one_line(gunicorn, real_environ, arguments, settings, names):
    environ = {**real_environ, **settings}
    if "COGNITO_USER_POOL_ID" in settings:
        environ = process_environment(**settings)
    server = gunicorn(environ, *arguments)

    assert server.wait_for_exit() == 1
    errors = [line for line in server.output().splitlines() if "Configuration error" in line]
    assert len(errors) == 1 and names in errors[0], server.output()
    assert "Traceback" not in server.output()
    assert "Booting worker" not in server.output()


def test_local_mode_refuses_several_workers_with_one_line(gunicorn, tmp_path):
    server = gunicorn(process_environment(LOCAL_STATE_DIR=str(tmp_path)), "-w", "3")

    assert server.wait_for_exit() == 1
    assert "Configuration error: local mode runs its emulators inside the app" in server.output()
    assert "make emulators" in server.output()
    assert "Booting worker" not in server.output()


def test_with_redis_several_workers_share_one_rate_limit(gunicorn, real_environ, redis_server):
    redis_server.flush()
    environ = {**real_environ, "SESSION_REDIS_URL": redis_server.url, "SIGN_IN_RATE_LIMIT": "10 per minute"}
    server = gunicorn(environ, "-w", "4", "--access-logformat", "worker=%(p)s %(s)s").wait_until_serving()

    statuses = []
    for _ in range(40):
        visitor = Visitor(server.url)  # a new connection each time, so the workers share the load
        visitor.http.headers["Connection"] = "close"
        statuses.append(visitor.post_json("/api/sign-in", {"email": new_email()}).status_code)

    assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses
    workers = {line.split()[0] for line in server.output().splitlines() if line.startswith("worker=")}
    assert len(workers) > 1, "more than one worker answered"
