"""ForgotPassword and ConfirmForgotPassword with boto3 (unsigned, as they are
public operations), the code read from the local Cognito's dev inbox, and the
new password then used with SRP (pycognito's AWSSRP)."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.support.clock import FakeClock

from .helpers import cognito_client, secret_hash
from .srp_client import OTHER_PASSWORD, PASSWORD, SrpClient, sign_up_with_password

NEW_PASSWORD = "N3w-Passw0rd-Stapled!"
INCORRECT = "Incorrect username or password."


def inbox(emulator, to: str | None = None) -> list[dict]:
    response = requests.get(f"{emulator.origin}/_dev/inbox.json", params={"to": to} if to else None, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def latest_code(emulator, email: str) -> str:
    messages = inbox(emulator, email)
    assert messages, f"no email for {email}"
    return messages[0]["code"]


def forgot(cognito, emulator, username: str, **extra) -> dict:
    return cognito.forgot_password(ClientId=emulator.client_id, Username=username, **extra)


def confirm(cognito, emulator, username: str, code: str, password: str = NEW_PASSWORD, **extra) -> dict:
    return cognito.confirm_forgot_password(
        ClientId=emulator.client_id, Username=username, ConfirmationCode=code, Password=password, **extra
    )


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_code_is_mailed_to_the_dev_inbox(cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)

    response = forgot(cognito, cognito_emulator, email)

    local, domain = email.split("@")
    assert response["CodeDeliveryDetails"] == {
        "Destination": f"{local[0]}***@{domain[0]}***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
    }
    [message] = inbox(cognito_emulator, email.upper())  # the filter ignores case
    assert set(message) == {"to", "subject", "body", "code", "sentAt"}
    assert message["to"] == email
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["code"] in message["body"]
    assert message["subject"] == "Your verification code"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["sentAt"])


def test_the_new_password_signs_in_and_the_old_one_no_longer_does(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)

    assert confirm(cognito, cognito_emulator, email, latest_code(cognito_emulator, email))["ResponseMetadata"]

    new = SrpClient(cognito, cognito_emulator, email, password=NEW_PASSWORD)
    assert new.password_step()["ChallengeName"] == "CUSTOM_CHALLENGE"
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
        SrpClient(cognito, cognito_emulator, email, password=PASSWORD).password_step()


def test_the_code_works_once(cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    code = latest_code(cognito_emulator, email)
    confirm(cognito, cognito_emulator, email, code)

    with pytest.raises(cognito.exceptions.ExpiredCodeException) as again:
        confirm(cognito, cognito_emulator, email, code, password=OTHER_PASSWORD)

    assert error_of(again)[1] == "Invalid code provided, please request a code again."


def test_without_a_code_requested_the_code_is_expired(cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.ExpiredCodeException):
        confirm(cognito, cognito_emulator, email, "123456")


def test_a_reset_clears_a_lockout(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    for _ in range(5):
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match=INCORRECT):
            SrpClient(cognito, cognito_emulator, email, password=OTHER_PASSWORD).password_step()
    with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Password attempts exceeded"):
        SrpClient(cognito, cognito_emulator, email).password_step()

    forgot(cognito, cognito_emulator, email)
    confirm(cognito, cognito_emulator, email, latest_code(cognito_emulator, email))

    assert SrpClient(cognito, cognito_emulator, email, password=NEW_PASSWORD).password_step()["ChallengeName"] == (
        "CUSTOM_CHALLENGE"
    )


def test_a_wrong_code_is_a_mismatch_and_five_spend_the_code(password_mfa, cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    code = latest_code(cognito_emulator, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(5):
        with pytest.raises(cognito.exceptions.CodeMismatchException) as mismatch:
            confirm(cognito, cognito_emulator, email, wrong)
        assert error_of(mismatch)[1] == "Invalid verification code provided, please try again."
    with pytest.raises(cognito.exceptions.LimitExceededException) as limited:
        confirm(cognito, cognito_emulator, email, code)

    assert error_of(limited)[1] == "Attempt limit exceeded, please try after some time."
    # The password is unchanged; a new code works.
    assert SrpClient(cognito, cognito_emulator, email).password_step()["ChallengeName"] == "CUSTOM_CHALLENGE"
    forgot(cognito, cognito_emulator, email)
    confirm(cognito, cognito_emulator, email, latest_code(cognito_emulator, email))


def test_only_the_latest_code_works(cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    first = latest_code(cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    second = latest_code(cognito_emulator, email)
    if first == second:
        pytest.skip("the two random codes happen to be equal")

    with pytest.raises(cognito.exceptions.CodeMismatchException):
        confirm(cognito, cognito_emulator, email, first)
    confirm(cognito, cognito_emulator, email, second)
    assert [m["code"] for m in inbox(cognito_emulator, email)] == [second, first]  # newest first


def test_a_code_expires_after_an_hour(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    forgot(cognito, emulator, email)
    code = latest_code(emulator, email)

    clock.advance(3600)

    with pytest.raises(cognito.exceptions.ExpiredCodeException):
        confirm(cognito, emulator, email, code)


def test_a_code_works_until_the_hour_is_up(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    forgot(cognito, emulator, email)

    clock.advance(3599)

    confirm(cognito, emulator, email, latest_code(emulator, email))


@pytest.mark.parametrize(
    "password, message",
    [
        ("Sh0rt!", "Password not long enough"),
        ("no-upper-1", "Password must have uppercase characters"),
        ("NoSymbols12", "Password must have symbol characters"),
    ],
)
def test_the_new_password_must_meet_the_policy_and_the_code_is_kept(cognito, cognito_emulator, email, password, message):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    code = latest_code(cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidPasswordException) as refused:
        confirm(cognito, cognito_emulator, email, code, password=password)

    assert error_of(refused)[1] == f"Password did not conform with policy: {message}"
    confirm(cognito, cognito_emulator, email, code)


def test_a_password_with_spaces_is_an_invalid_parameter(cognito, cognito_emulator, email):
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidParameterException, match=r"Member must satisfy regular expression"):
        confirm(cognito, cognito_emulator, email, latest_code(cognito_emulator, email), password="Has Sp4ce!xx")


def test_at_most_five_codes_an_hour(make_emulator, email):
    clock = FakeClock()
    emulator = make_emulator(clock=clock)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    for _ in range(5):
        forgot(cognito, emulator, email)
        clock.advance(60)

    with pytest.raises(cognito.exceptions.LimitExceededException, match="Attempt limit exceeded"):
        forgot(cognito, emulator, email)
    assert len(inbox(emulator, email)) == 5

    clock.advance(3600 - 5 * 60 + 61)  # the first request is more than an hour old
    forgot(cognito, emulator, email)
    confirm(cognito, emulator, email, latest_code(emulator, email))


def test_an_unknown_user_gets_the_same_kind_of_answer_and_no_mail(cognito, cognito_emulator, email):
    response = forgot(cognito, cognito_emulator, email)

    local, domain = email.split("@")
    assert response["CodeDeliveryDetails"] == {
        "Destination": f"{local[0]}***@{domain[0]}***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
    }
    assert inbox(cognito_emulator, email) == []
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        confirm(cognito, cognito_emulator, email, "123456")


def test_an_unknown_name_that_is_no_email_gets_a_stable_made_up_destination(cognito, cognito_emulator):
    first = forgot(cognito, cognito_emulator, "not-an-email-name")["CodeDeliveryDetails"]
    second = forgot(cognito, cognito_emulator, "not-an-email-name")["CodeDeliveryDetails"]

    assert first == second
    assert re.fullmatch(r"[a-z]\*\*\*@[a-z]\*\*\*", first["Destination"])


def test_an_unknown_user_under_legacy_errors_is_not_found(make_emulator, email):
    emulator = make_emulator(prevent_user_existence_errors="LEGACY")
    cognito = cognito_client(emulator)

    for call in (lambda: forgot(cognito, emulator, email), lambda: confirm(cognito, emulator, email, "123456")):
        with pytest.raises(cognito.exceptions.UserNotFoundException) as missing:
            call()
        assert error_of(missing)[1] == "Username/client id combination not found."


def test_a_user_without_a_verified_email_cannot_reset(triggers, cognito, cognito_emulator, email):
    def confirm_only(event, context):
        event["response"]["autoConfirmUser"] = True
        return event

    triggers.replace("PreSignUp", confirm_only)
    sign_up_with_password(cognito, cognito_emulator, email)

    with pytest.raises(cognito.exceptions.InvalidParameterException) as refused:
        forgot(cognito, cognito_emulator, email)

    assert error_of(refused)[1] == (
        "Cannot reset password for the user as there is no registered/verified email or phone_number"
    )
    assert inbox(cognito_emulator, email) == []


def test_a_client_with_a_secret_needs_the_secret_hash(make_emulator, email):
    emulator = make_emulator(with_client_secret=True)
    cognito = cognito_client(emulator)
    sign_up_with_password(cognito, emulator, email)
    hashed = secret_hash(emulator.client_secret, email, emulator.client_id)

    for call in (
        lambda **extra: forgot(cognito, emulator, email, **extra),
        lambda **extra: confirm(cognito, emulator, email, "123456", **extra),
    ):
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match="SECRET_HASH was not received"):
            call()
        with pytest.raises(cognito.exceptions.NotAuthorizedException, match="Unable to verify secret hash"):
            call(SecretHash=secret_hash(emulator.client_secret, "someone-else", emulator.client_id))
    forgot(cognito, emulator, email, SecretHash=hashed)
    confirm(cognito, emulator, email, latest_code(emulator, email), SecretHash=hashed)


def test_both_operations_are_public(cognito_emulator, email):
    """No Authorization header, as a browser sends them; CORS as for SignUp."""
    cognito = cognito_client(cognito_emulator)
    sign_up_with_password(cognito, cognito_emulator, email)

    def call(operation: str, body: dict) -> requests.Response:
        return requests.post(
            cognito_emulator.origin, data=json.dumps({"ClientId": cognito_emulator.client_id, **body}), timeout=5,
            headers={"Content-Type": "application/x-amz-json-1.1", "Origin": "http://localhost:3000",
                     "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"},
        )

    sent = call("ForgotPassword", {"Username": email})
    assert sent.status_code == 200, sent.text
    assert sent.headers["Access-Control-Allow-Origin"] == "*"
    done = call("ConfirmForgotPassword", {
        "Username": email, "ConfirmationCode": latest_code(cognito_emulator, email), "Password": NEW_PASSWORD,
    })
    assert done.status_code == 200, done.text
    assert done.json() == {}


def test_the_inbox_page_lists_mails_newest_first_with_user_text_escaped(triggers, cognito, cognito_emulator):
    email = "<script>alert(1)</script>@example.com"
    sign_up_with_password(cognito, cognito_emulator, email)
    forgot(cognito, cognito_emulator, email)
    code = latest_code(cognito_emulator, email)

    page = requests.get(f"{cognito_emulator.origin}/_dev/inbox", timeout=5)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in page.text
    assert code in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    filtered = requests.get(f"{cognito_emulator.origin}/_dev/inbox", params={"to": email}, timeout=5)
    assert "&lt;script&gt;" in filtered.text and "inbox.json?to=%3Cscript%3E" in filtered.text


def test_no_other_site_can_read_the_inbox(cognito_emulator):
    for path in ("/_dev/inbox", "/_dev/inbox.json"):
        response = requests.get(f"{cognito_emulator.origin}{path}", headers={"Origin": "https://evil.example"}, timeout=5)
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
        rebound = requests.get(f"{cognito_emulator.origin}{path}", headers={"Host": "evil.example"}, timeout=5)
        assert rebound.status_code == 403


def test_the_emulator_names_its_inbox(cognito_emulator):
    assert cognito_emulator.inbox_url == f"{cognito_emulator.endpoint_url}/_dev/inbox"
