"""The official SDKs against the local Authsignal, unmodified: the Python
SDK's own ``TestAuthsignalClient`` (it ships inside the pinned package), and
the pinned ``@authsignal/node`` driven by our Node tests in ``tests/node``.

Each runs in a subprocess against an emulator of its own. What the Python
suite assumes of Authsignal's own test tenant (``user123`` already enrolled)
is set up through the public server API only, as a tenant's admin would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from authsignal import AuthsignalClient
from authsignal.version import VERSION as PYTHON_SDK_VERSION

from emulators.authsignal import AuthsignalEmulator
from tests.conftest import ROOT, skip_or_fail

#: The Python SDK pinned in requirements.txt, and how many tests its suite has.
PYTHON_SDK = ("4.1.0", 9)
NODE_SDK = ROOT / "node_modules" / "@authsignal" / "node"
NODE_TESTS = ROOT / "tests" / "node"


@pytest.fixture
def emulator():
    with AuthsignalEmulator() as emulator:
        yield emulator


def test_the_python_sdks_own_suite_passes_unmodified(emulator, tmp_path):
    version, count = PYTHON_SDK
    assert PYTHON_SDK_VERSION == version, "the pinned authsignal SDK changed: recount its suite's tests"
    admin = AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)
    # test_actions expects user123 to be enrolled already, as on Authsignal's test tenant.
    admin.enroll_verified_authenticator(
        "user123", {"verificationMethod": "EMAIL_OTP", "email": "not-a-real-email@authsignal.com"}
    )
    environment = {
        **os.environ,
        "AUTHSIGNAL_API_URL": emulator.base_url,
        "AUTHSIGNAL_API_SECRET": emulator.config.secret,
    }

    # From an empty folder: no project pytest.ini or conftest.py applies to it.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "authsignal.client_tests", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"^{count} passed\b", result.stdout, re.MULTILINE), output


def test_the_pinned_node_sdk_passes_the_node_tests(emulator):
    node = shutil.which("node")
    if node is None:
        skip_or_fail("no node found (the Node SDK tests need Node 20 or later)")
    if not (NODE_SDK / "package.json").is_file():
        skip_or_fail("node_modules/@authsignal/node is missing: run `npm ci`")
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["@authsignal/node"]
    installed = json.loads((NODE_SDK / "package.json").read_text())["version"]
    assert installed == pinned, f"@authsignal/node {installed} is installed, package.json pins {pinned}: run `npm ci`"
    environment = {
        **os.environ,
        "AUTHSIGNAL_API_URL": emulator.base_url,
        "AUTHSIGNAL_API_SECRET_KEY": emulator.config.secret,
    }

    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", f"{NODE_TESTS.relative_to(ROOT)}/"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), output
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, output
