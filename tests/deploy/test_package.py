"""The packaging step: a zip for the Lambda runtime whose handlers import and run."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from deploy.package import build_lambda_zip
from tests.lambdas import events


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory):
    return build_lambda_zip(tmp_path_factory.mktemp("build"), "python3.13")


def test_the_zip_holds_the_triggers_and_their_dependencies(lambda_zip):
    names = set(zipfile.ZipFile(lambda_zip).namelist())

    assert {
        "lambdas/pre_sign_up.py", "lambdas/define_auth_challenge.py",
        "lambdas/create_auth_challenge.py", "lambdas/verify_auth_challenge_response.py",
    } <= names
    assert "authsignal/client.py" in names and "requests/__init__.py" in names
    assert not any("__pycache__" in name or name.startswith(("boto3/", "botocore/")) for name in names)


def test_the_same_sources_give_the_same_zip(lambda_zip, tmp_path):
    assert build_lambda_zip(tmp_path, "python3.13").name == lambda_zip.name


def test_the_handlers_import_and_run_from_the_zip_alone(lambda_zip, authsignal_emulator, user_id, email):
    # -I -S: no site-packages, only the zip, as in a bare Lambda runtime (boto3 aside).
    script = f"""
import json, os, sys
sys.path.insert(0, {str(lambda_zip)!r})
from lambdas import pre_sign_up, define_auth_challenge, create_auth_challenge, verify_auth_challenge_response
events = json.load(sys.stdin)
created = create_auth_challenge.handler(events["create"], None)["response"]
print(json.dumps({{
    "pre_sign_up": pre_sign_up.handler(events["pre_sign_up"], None)["response"],
    "define": define_auth_challenge.handler(events["define"], None)["response"],
    "url": created["publicChallengeParameters"]["url"],
    "verify": verify_auth_challenge_response.handler(events["verify"], None)["response"],
}}))
"""
    payload = {
        "pre_sign_up": events.pre_sign_up(email),
        "define": events.define_auth_challenge([]),
        "create": events.create_auth_challenge(user_id, email),
        "verify": events.verify_auth_challenge_response(user_id, "not.a.token"),
    }
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], input=json.dumps(payload), capture_output=True, text=True,
        timeout=30,
        env={"AUTHSIGNAL_URL": authsignal_emulator.base_url, "AUTHSIGNAL_SECRET": authsignal_emulator.config.secret},
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["pre_sign_up"]["autoConfirmUser"] is True
    assert output["define"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert output["url"].startswith(f"{authsignal_emulator.origin}/challenge?token=")
    assert output["verify"]["answerCorrect"] is False
