from lambdas import pre_sign_up

from . import events


def test_confirms_the_user_and_verifies_the_email():
    event = events.pre_sign_up("ada@example.com")

    result = pre_sign_up.handler(event, None)

    assert result is event
    assert result["response"] == {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": None}


def test_leaves_the_email_unverified_when_there_is_none():
    event = events.pre_sign_up()
    event["request"]["userAttributes"] = {}

    result = pre_sign_up.handler(event, None)

    assert result["response"]["autoConfirmUser"] is True
    assert result["response"]["autoVerifyEmail"] is None
