"""Fixtures shared by the whole suite: the local Authsignal, and a headless
Chromium driven by Playwright (one browser per run, a fresh context per test)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from authsignal import AuthsignalClient
from playwright.sync_api import expect

from emulators.authsignal import AuthsignalEmulator
from tests.support.chromium import CHROMIUM_ARGS, find_chromium
from tests.support.page_record import PageRecord

ROOT = Path(__file__).resolve().parent.parent
WEB_SDK = ROOT / "node_modules" / "@authsignal" / "browser" / "dist" / "index.min.js"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """A prerequisite (a browser, redis-server, gunicorn) missing: a local run skips, CI fails."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    path = find_chromium()
    if path is None:
        skip_or_fail("no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report carries what its page went through."""
    report = yield
    if report.when == "call" and report.failed:
        for number, record in enumerate(getattr(item, "page_records", []), 1):
            report.sections.append((f"what page {number} saw", record.report()))
    return report


#: How long a browser test waits for an action or an assertion: the same for
#: both (Playwright's assertions would give up after 5 s), as on a loaded
#: 2-core CI machine, with every server in this one Python process, a step can
#: take seconds. Speed is measured by the benchmark, not here.
BROWSER_TIMEOUT_MS = 10_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


def record_page(request, page) -> PageRecord:
    """Record what ``page`` goes through, for the report if the test fails (once per page)."""
    if not hasattr(request.node, "page_records"):
        request.node.page_records = []
    for record in request.node.page_records:
        if record.page is page:
            return record
    record = PageRecord(page)
    # Listed before its first call to Playwright, which may announce this very
    # page meanwhile (the context's "page" event): it is then found, not doubled.
    request.node.page_records.append(record)
    record.watch_presses()
    return record


@pytest.fixture
def new_context(browser, request):
    """``browser.new_context`` for a test: the browser tests' timeout, every
    page recorded for the report, closed at the end of the test."""
    contexts = []

    def new(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        # Pages the test opens, and popups: recorded as Playwright announces them.
        context.on("page", lambda page: record_page(request, page))
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context, request):
    page = new_context().new_page()
    record_page(request, page)  # now, not when Playwright gets round to announcing it
    return page


@pytest.fixture
def page_record(page, request) -> PageRecord:
    """What the test's ``page`` went through so far (its ``problems``, for one)."""
    return record_page(request, page)


@pytest.fixture(scope="session")
def web_sdk_path() -> Path:
    if not WEB_SDK.is_file():
        skip_or_fail(f"{WEB_SDK.relative_to(ROOT)} is missing: run `npm ci`")
    return WEB_SDK


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server for the run (Debian's; `.ci/run` installs it)."""
    from tests.support.redis_server import RedisServer

    server = RedisServer(str(tmp_path_factory.mktemp("redis")))
    if server.executable is None:
        skip_or_fail("no redis-server found (apt-get install redis-server)")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def authsignal_emulator():
    """One local Authsignal for the session; tests keep apart by unique users."""
    with AuthsignalEmulator() as emulator:
        yield emulator


@pytest.fixture
def authsignal(authsignal_emulator) -> AuthsignalClient:
    """The real ``authsignal`` SDK pointed at the session's local Authsignal."""
    return AuthsignalClient(authsignal_emulator.config.secret, api_url=authsignal_emulator.base_url)


@pytest.fixture
def user_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture(scope="session")
def lambda_environment(authsignal_emulator):
    """The triggers' environment for the whole run: the session's local Authsignal."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHSIGNAL_URL", authsignal_emulator.base_url)
        patch.setenv("AUTHSIGNAL_SECRET", authsignal_emulator.config.secret)
        patch.delenv("AUTHSIGNAL_ACTION", raising=False)
        patch.delenv("AUTHSIGNAL_TIMEOUT_SECONDS", raising=False)
        yield


@pytest.fixture(scope="session")
def local_cognito(lambda_environment):
    """One local Cognito whose triggers are the project's lambdas."""
    from emulators.cognito import CognitoEmulator, CognitoEmulatorConfig

    with CognitoEmulator(CognitoEmulatorConfig()) as emulator:
        yield emulator


def app_environ(cognito, authsignal, session_dir) -> dict:
    """Real-mode settings pointing the app at local emulators."""
    return {
        "FLASK_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "COGNITO_USER_POOL_ID": cognito.user_pool_id,
        "COGNITO_CLIENT_ID": cognito.client_id,
        "COGNITO_REGION": cognito.region,
        "COGNITO_ENDPOINT_URL": cognito.endpoint_url,
        **({"COGNITO_CLIENT_SECRET": cognito.client_secret} if cognito.client_secret else {}),
        "AUTHSIGNAL_TENANT_ID": authsignal.config.tenant_id,
        "AUTHSIGNAL_URL": authsignal.base_url,
        "AUTHSIGNAL_SECRET": authsignal.config.secret,  # to say which method was used
        "SESSION_FILE_DIR": str(session_dir),
    }
