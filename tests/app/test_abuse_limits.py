"""Abuse limits: per client (an IPv6 /64 counts as one), per email, and a
global cap on creating Cognito users, each a 429 with Retry-After and a plain
message; behind a proxy, only the configured number of hops is trusted."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Browserless
from .test_sign_in import cognito_admin_client


def new_email() -> str:
    return f"limit-{uuid.uuid4().hex[:12]}@example.com"


def post_from(user: Browserless, address: str, email: str, headers: dict | None = None):
    return user.client.post(
        "/api/sign-in", json={"email": email}, headers={"X-CSRFToken": user.csrf, **(headers or {})},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_one_ipv6_64_counts_as_one_client(make_app):
    user = Browserless(make_app(environ={"SIGN_IN_RATE_LIMIT": "3 per minute"}).test_client())
    addresses = [f"2001:db8:1:2::{n:x}" for n in range(1, 6)]

    statuses = [post_from(user, address, new_email()).status_code for address in addresses]
    other_network = post_from(user, "2001:db8:1:3::1", new_email())

    assert statuses == [200, 200, 200, 429, 429]
    assert other_network.status_code == 200


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(make_app):
    user = Browserless(make_app(environ={"SIGN_IN_RATE_LIMIT": "1 per minute"}).test_client())

    first = post_from(user, "203.0.113.9", new_email())
    mapped = post_from(user, "::ffff:203.0.113.9", new_email())

    assert (first.status_code, mapped.status_code) == (200, 429)


def test_one_email_may_start_only_a_few_sign_ins(make_app):
    app = make_app(environ={"SIGN_IN_EMAIL_RATE_LIMIT": "2 per 10 minutes"})
    user = Browserless(app.test_client())
    email = new_email()

    statuses = [post_from(user, f"198.51.100.{n}", email).status_code for n in range(1, 4)]
    shouting = post_from(user, "198.51.100.9", email.upper())
    limited = post_from(user, "198.51.100.10", email)
    other_email = post_from(user, "198.51.100.11", new_email())

    assert statuses == [200, 200, 429]
    assert shouting.status_code == 429, "the same address in capitals is the same email"
    assert limited.get_json() == {
        "error": "rate_limited",
        "message": "Too many sign-in attempts for this email address. Wait a few minutes and try again.",
    }
    assert 0 < int(limited.headers["Retry-After"]) <= 600
    assert other_email.status_code == 200


def test_the_client_limit_says_retry_after(make_app):
    user = Browserless(make_app(environ={"SIGN_IN_RATE_LIMIT": "1 per minute"}).test_client())
    post_from(user, "192.0.2.1", new_email())

    limited = post_from(user, "192.0.2.1", new_email())

    assert limited.status_code == 429
    assert limited.get_json()["message"] == "Too many sign-in attempts from here. Wait a minute and try again."
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_new_users_are_capped_for_everyone_but_existing_users_still_sign_in(make_app, local_cognito):
    app = make_app(environ={"NEW_USER_RATE_LIMIT": "2 per minute"})
    user = Browserless(app.test_client())
    first, second, third = new_email(), new_email(), new_email()

    created = [post_from(user, f"198.51.100.{n}", email).status_code for n, email in ((1, first), (2, second))]
    refused = post_from(user, "198.51.100.3", third)
    returning = post_from(user, "198.51.100.4", first)

    assert created == [200, 200]
    assert refused.status_code == 429
    assert refused.get_json() == {
        "error": "too_many_new_users",
        "message": "Too many new accounts are being created right now. Try again in a minute.",
    }
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert returning.status_code == 200, "a user who exists is not a new user"
    cognito = cognito_admin_client(local_cognito)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=local_cognito.user_pool_id, Username=third)


@pytest.mark.parametrize(
    "hops, forwarded_for, counted_as",
    [
        ("1", "203.0.113.50, 198.51.100.1", "198.51.100.1"),  # the client's own claim is ignored
        ("2", "203.0.113.50, 198.51.100.1", "203.0.113.50"),
    ],
)
def test_behind_a_proxy_only_the_trusted_hops_are_believed(make_app, hops, forwarded_for, counted_as):
    app = make_app(environ={"BEHIND_PROXY": "true", "TRUSTED_PROXY_HOPS": hops, "SIGN_IN_RATE_LIMIT": "1 per minute"})
    user = Browserless(app.test_client())
    headers = {"X-Forwarded-For": forwarded_for}

    post_from(user, "10.0.0.2", new_email(), headers)
    same_client = post_from(user, "10.0.0.2", new_email(), {"X-Forwarded-For": f"192.0.2.77, {counted_as}"}
                            if hops == "1" else {"X-Forwarded-For": f"{counted_as}, 198.51.100.99"})

    assert same_client.status_code == 429
