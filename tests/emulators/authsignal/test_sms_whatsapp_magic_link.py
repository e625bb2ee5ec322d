"""SMS and WhatsApp codes, email magic links and CORS on the client API,
through the Web SDK's own client API paths (no browser)."""

from __future__ import annotations

import pytest
import requests
from authsignal import AuthsignalClient

from emulators.authsignal import AuthsignalEmulator, AuthsignalEmulatorConfig

from .helpers import ChallengeDriver, wrong_code

ACTION = "cognitoAuth"
ALL_METHODS = "EMAIL_OTP,EMAIL_MAGIC_LINK,SMS,WHATSAPP,AUTHENTICATOR_APP"
PHONE = "+64 21 123 4567"
E164 = "+64211234567"


@pytest.fixture
def emulator(clock):
    # Track tokens outlive the codes and links here, to reach their own expiry.
    config = AuthsignalEmulatorConfig(methods=ALL_METHODS, token_ttl_seconds=3600)
    with AuthsignalEmulator(config, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def client(emulator) -> AuthsignalClient:
    return AuthsignalClient(emulator.config.secret, api_url=emulator.base_url)


def inbox(emulator, to=None) -> list[dict]:
    return requests.get(f"{emulator.origin}/_dev/inbox.json", params={"to": to} if to else None, timeout=5).json()


def validate(client, token, user_id):
    return client.validate_challenge({"token": token, "userId": user_id, "action": ACTION})


# ----- SMS and WhatsApp -------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("SMS", "sms"), ("WHATSAPP", "whatsapp")])
def test_a_tracked_phone_number_gets_a_code_that_completes_the_challenge(emulator, client, user_id, method, path):
    track = client.track(user_id, ACTION, {"phoneNumber": PHONE})
    driver = ChallengeDriver(emulator, track["token"])

    assert driver.post(f"/challenge/{path}").status_code == 200
    [message] = inbox(emulator, E164)
    assert (message["to"], message["channel"]) == (E164, method)
    assert message["code"] in message["body"] and "subject" not in message
    result = driver.post(f"/verify/{path}", {"verificationCode": message["code"]}).json()

    assert result["isVerified"] is True
    validated = validate(client, result["accessToken"], user_id)
    assert (validated["is_valid"], validated["verification_method"]) == (True, method)
    user = client.get_user(user_id)
    assert (user["phone_number"], user["phone_number_verified"]) == (E164, True)
    assert user["enrolled_verification_methods"] == [method]
    later = client.track(user_id, ACTION, {})
    assert later["default_verification_method"] == method
    assert later["allowed_verification_methods"] == ALL_METHODS.split(",")


@pytest.mark.parametrize("method, path", [("SMS", "sms"), ("WHATSAPP", "whatsapp")])
def test_a_user_without_a_number_enrols_one_formatted_to_e164(emulator, client, user_id, method, path):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])

    enrolled = driver.post(f"/user-authenticators/{path}", {"phoneNumber": "+1 (415) 555-2671"})
    code = inbox(emulator, "+14155552671")[0]["code"]
    result = driver.post(f"/verify/{path}", {"verificationCode": code}).json()

    assert enrolled.status_code == 200 and enrolled.json()["phoneNumber"] == "+14155552671"
    assert result["isVerified"] is True
    assert validate(client, result["accessToken"], user_id)["verification_method"] == method
    # The next challenge, tracked without a number, uses the enrolled one.
    again = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])
    assert again.post(f"/challenge/{path}").status_code == 200
    assert len(inbox(emulator, "+14155552671")) == 2


@pytest.mark.parametrize("number", ["12345", "+1 555", "+64 21", "not a number", "", "+" + "1" * 70])
def test_an_invalid_phone_number_is_refused_clearly(emulator, client, user_id, number):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])

    response = driver.post("/user-authenticators/sms", {"phoneNumber": number})

    assert response.status_code == 400
    assert response.json()["errorDescription"].startswith("That is not a valid phone number.")
    assert "+ and the country code" in response.json()["errorDescription"]
    assert inbox(emulator) == []


def test_track_refuses_an_invalid_phone_number(emulator, user_id):
    response = requests.post(
        f"{emulator.base_url}/users/{user_id}/actions/{ACTION}", auth=(emulator.config.secret, ""),
        json={"phoneNumber": "555-1234"}, timeout=5,
    )

    assert response.status_code == 400
    assert "phoneNumber is not a valid phone number" in response.json()["errorDescription"]


def test_the_inbox_filters_by_number_even_with_an_unencoded_plus(emulator, client, user_id):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"phoneNumber": PHONE})["token"])
    driver.post("/challenge/sms")

    raw = requests.get(f"{emulator.origin}/_dev/inbox.json?to=+64211234567", timeout=5).json()
    page = requests.get(f"{emulator.origin}/_dev/inbox?to=%2B64211234567", timeout=5).text

    assert [m["channel"] for m in raw] == ["SMS"]
    assert "Text message" in page and E164 in page


def test_email_messages_have_the_email_channel(emulator, client, user_id, email):
    ChallengeDriver(emulator, client.track(user_id, ACTION, {"email": email})["token"]).send_code()

    assert inbox(emulator, email)[0]["channel"] == "EMAIL"


@pytest.mark.parametrize("path, channel", [("sms", "SMS"), ("whatsapp", "WHATSAPP")])
def test_sends_are_limited_per_channel(emulator, client, clock, user_id, email, path, channel):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"phoneNumber": PHONE, "email": email})["token"])
    for _ in range(12):
        assert driver.post(f"/challenge/{path}").status_code == 200
        clock.advance(1)

    refused = driver.post(f"/challenge/{path}")

    assert refused.status_code == 429
    assert refused.json()["errorDescription"] == "Too many codes sent. Try again in 10 minutes."
    assert driver.send_code().status_code == 200  # email is another channel
    clock.advance(600)
    assert driver.post(f"/challenge/{path}").status_code == 200


def test_five_wrong_sms_codes_fail_the_challenge(emulator, client, user_id):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"phoneNumber": PHONE})["token"])
    driver.post("/challenge/sms")
    code = inbox(emulator, E164)[0]["code"]

    answers = [driver.post("/verify/sms", {"verificationCode": wrong_code(code)}).json() for _ in range(5)]

    assert [a.get("attemptsRemaining") for a in answers] == [4, 3, 2, 1, 0]
    assert answers[-1]["failureReason"] == "MAX_ATTEMPTS_EXCEEDED"
    assert driver.post("/verify/sms", {"verificationCode": code}).json()["isVerified"] is False


def test_a_whatsapp_code_expires_after_ten_minutes(emulator, client, clock, user_id):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"phoneNumber": PHONE})["token"])
    driver.post("/challenge/whatsapp")
    code = inbox(emulator, E164)[0]["code"]
    clock.advance(600)

    result = driver.post("/verify/whatsapp", {"verificationCode": code}).json()

    assert (result["isVerified"], result["failureReason"]) == (False, "CODE_EXPIRED")


def test_a_code_sent_by_sms_is_not_taken_as_a_whatsapp_or_email_code(emulator, client, user_id, email):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"phoneNumber": PHONE, "email": email})["token"])
    driver.post("/challenge/sms")
    code = inbox(emulator, E164)[0]["code"]

    for path in ("/verify/whatsapp", "/verify/email-otp"):
        response = driver.post(path, {"verificationCode": code})
        assert response.status_code == 400
        assert response.json()["errorDescription"] == "No code has been sent for this challenge yet."


def test_an_enrolled_user_cannot_add_a_number_without_add_authenticators(emulator, client, user_id):
    first = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])
    first.post("/user-authenticators/sms", {"phoneNumber": PHONE})
    first.post("/verify/sms", {"verificationCode": inbox(emulator, E164)[0]["code"]})

    plain = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])
    scoped = ChallengeDriver(emulator, client.track(user_id, ACTION, {"scope": "add:authenticators"})["token"])

    # The enrolled number is the challenge's: another one is refused.
    assert plain.post("/user-authenticators/sms", {"phoneNumber": "+61 412 345 678"}).status_code == 400
    assert plain.post("/user-authenticators/email-otp", {"email": "x@example.com"}).status_code == 403
    assert scoped.post("/user-authenticators/email-otp", {"email": "x@example.com"}).status_code == 200


def test_a_tenant_without_sms_refuses_it(authsignal, authsignal_emulator, user_id):
    driver = ChallengeDriver(authsignal_emulator, authsignal.track(user_id, ACTION, {"phoneNumber": PHONE})["token"])

    response = driver.post("/challenge/sms")

    assert response.status_code == 400
    assert response.json()["errorDescription"] == "SMS OTP is not a verification method of this tenant."


# ----- email magic links ----------------------------------------------------------------------

def send_link(emulator, client, user_id, email):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {"email": email})["token"])
    assert driver.post("/challenge/email-magic-link").status_code == 200
    return driver, inbox(emulator, email)[0]


def test_a_magic_link_completes_the_challenge_once(emulator, client, user_id, email):
    driver, message = send_link(emulator, client, user_id, email)
    before = driver.post("/verify/email-magic-link/finalize").json()

    opened = requests.get(message["link"], timeout=5)
    after = driver.post("/verify/email-magic-link/finalize").json()
    again = requests.get(message["link"], timeout=5)

    assert message["channel"] == "EMAIL" and "code" not in message
    assert message["link"].startswith(f"{emulator.origin}/magic-link?token=") and message["link"] in message["body"]
    assert before == {"isVerified": False}
    assert opened.status_code == 200 and "You can close this tab" in opened.text
    assert after["isVerified"] is True
    validated = validate(client, after["accessToken"], user_id)
    assert (validated["is_valid"], validated["verification_method"]) == (True, "EMAIL_MAGIC_LINK")
    assert again.status_code == 400 and "already been used" in again.text
    assert client.get_user(user_id)["enrolled_verification_methods"] == ["EMAIL_MAGIC_LINK"]


def test_an_expired_magic_link_completes_nothing(emulator, client, clock, user_id, email):
    driver, message = send_link(emulator, client, user_id, email)
    clock.advance(600)

    opened = requests.get(message["link"], timeout=5)

    assert opened.status_code == 400 and "This link has expired" in opened.text
    assert driver.post("/verify/email-magic-link/finalize").json() == {"isVerified": False}


def test_a_newer_link_replaces_the_older_one(emulator, client, user_id, email):
    driver, first = send_link(emulator, client, user_id, email)
    driver.post("/challenge/email-magic-link")

    opened = requests.get(first["link"], timeout=5)
    forged = requests.get(f"{emulator.origin}/magic-link?token=forged", timeout=5)

    assert opened.status_code == 400 and "not valid" in opened.text
    assert forged.status_code == 400
    assert driver.post("/verify/email-magic-link/finalize").json() == {"isVerified": False}


def test_a_user_without_an_email_enrols_one_for_magic_links(emulator, client, user_id, email):
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])

    assert driver.post("/user-authenticators/email-magic-link", {"email": email}).status_code == 200
    requests.get(inbox(emulator, email)[0]["link"], timeout=5)

    assert driver.post("/verify/email-magic-link/finalize").json()["isVerified"] is True


def test_magic_links_are_limited_like_codes(emulator, client, user_id, email):
    driver, _ = send_link(emulator, client, user_id, email)
    for _ in range(11):
        driver.post("/challenge/email-magic-link")

    refused = driver.post("/challenge/email-magic-link")

    assert refused.status_code == 429 and refused.json()["errorDescription"].startswith("Too many links sent.")


# ----- CORS -------------------------------------------------------------------------------------

def test_the_client_api_answers_cors_preflights_from_allowed_origins(emulator, client, user_id):
    token = client.track(user_id, ACTION, {"phoneNumber": PHONE})["token"]
    origin = "http://localhost:3000"
    preflight = requests.options(
        f"{emulator.base_url}/client/challenge/sms",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"},
        timeout=5,
    )
    post = requests.post(f"{emulator.base_url}/client/challenge/sms",
                         headers={"Origin": origin, "Authorization": f"Bearer {token}"}, timeout=5)
    error = requests.post(f"{emulator.base_url}/client/challenge/sms", headers={"Origin": origin}, timeout=5)

    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert set(preflight.headers["Access-Control-Allow-Headers"].lower().split(", ")) >= {"authorization", "content-type"}
    assert post.status_code == 200 and post.headers["Access-Control-Allow-Origin"] == origin
    assert error.status_code == 401 and error.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in post.headers["Vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example:80", "null"])
def test_other_origins_get_no_cors_headers(emulator, client, user_id, origin):
    token = client.track(user_id, ACTION, {"phoneNumber": PHONE})["token"]
    preflight = requests.options(f"{emulator.base_url}/client/challenge/sms",
                                 headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=5)
    post = requests.post(f"{emulator.base_url}/client/challenge/sms",
                         headers={"Origin": origin, "Authorization": f"Bearer {token}"}, timeout=5)

    for response in (preflight, post):
        assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_the_server_api_has_no_cors(emulator, user_id):
    response = requests.options(f"{emulator.base_url}/users/{user_id}",
                                headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
                                timeout=5)

    assert "Access-Control-Allow-Origin" not in response.headers


# ----- the methods offered ------------------------------------------------------------------------

def test_a_new_user_is_offered_every_method_and_an_sms_user_sms_first(emulator, client, user_id):
    from .test_methods import page_config

    new = page_config(client.track(user_id, ACTION, {})["url"])
    driver = ChallengeDriver(emulator, client.track(user_id, ACTION, {})["token"])
    driver.post("/user-authenticators/sms", {"phoneNumber": PHONE})
    driver.post("/verify/sms", {"verificationCode": inbox(emulator, E164)[0]["code"]})
    enrolled = page_config(client.track(user_id, ACTION, {"scope": "add:authenticators"})["url"])
    plain = page_config(client.track(user_id, ACTION, {})["url"])

    assert new["methods"] == ALL_METHODS.split(",")
    assert enrolled["methods"] == ["SMS", "EMAIL_OTP", "EMAIL_MAGIC_LINK", "WHATSAPP", "AUTHENTICATOR_APP"]
    assert enrolled["phoneNumber"] == E164
    assert plain["methods"] == ["SMS", "WHATSAPP"]  # the enrolled number; no new email or app
