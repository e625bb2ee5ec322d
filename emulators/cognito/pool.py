"""The one user pool and its app client: created on first start (ids and
signing key then stay in the state file, settings follow the config), their
policies, and how the discovery operations describe them.

The pool is what the project's CloudFormation would create: email as the
sign-in alias (``UsernameAttributes = [email]``, case-insensitive), email
auto-verified, AWS's default password policy, no MFA.
"""

from __future__ import annotations

import re
import secrets

from . import ids
from .config import CognitoEmulatorConfig
from .errors import CognitoError, invalid_parameter, not_authorized
from .store import Client, CognitoStore, Pool, email_key
from .tokens import generate_private_key_pem
from .triggers import ACCOUNT_ID, function_name

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
_PASSWORD_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
#: Standard attributes a client may write at sign-up.
WRITABLE_ATTRIBUTES = {
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
}
#: Attributes only Cognito (or an admin) sets.
READ_ONLY_ATTRIBUTES = {"sub", "email_verified", "phone_number_verified"}


def ensure_pool_and_client(config: CognitoEmulatorConfig, store: CognitoStore, now: float) -> tuple[Pool, Client]:
    with store.transaction():
        pool = store.get_pool()
        if pool is None:
            pool = Pool(
                id=ids.user_pool_id(config.region), name=config.pool_name, region=config.region,
                private_key_pem=generate_private_key_pem(), decoy_salt=secrets.token_hex(32),
                created_at=now, modified_at=now,
            )
            store.insert_pool(pool)
        elif pool.region != config.region:
            raise ValueError(
                f"the state file holds pool {pool.id} in {pool.region}; "
                f"start with region {pool.region} or use another state file"
            )
        elif pool.name != config.pool_name:
            store.update_pool(config.pool_name, now)
            pool = store.get_pool()

        clients = store.list_clients()
        existing = clients[0] if clients else None
        secret = config.client_secret
        if secret is None and config.with_client_secret:
            secret = existing.secret if existing and existing.secret else ids.app_client_secret()
        if existing is None:
            store.insert_client(Client(ids.app_client_id(), pool.id, config.client_name, secret, now, now))
        elif (existing.name, existing.secret) != (config.client_name, secret):
            store.update_client(existing.client_id, config.client_name, secret, now)
        return pool, store.list_clients()[0]


def writable_attributes(submitted: list[tuple[str, str]], email: str) -> dict[str, str]:
    """The attributes of a sign-up, with AWS's errors for ones a client may
    not write; the email is the Username."""
    attributes = {}
    for name, value in submitted:
        if name in READ_ONLY_ATTRIBUTES or name.startswith("cognito:"):
            raise not_authorized("A client attempted to write unauthorized attribute")
        if name not in WRITABLE_ATTRIBUTES:
            raise invalid_parameter(
                f"Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
            )
        attributes[name] = value
    if email_key(attributes.get("email", email)) != email_key(email):
        raise invalid_parameter("The email attribute must be the Username: email is the sign-in alias.")
    attributes["email"] = email
    return attributes


def check_password(password: str) -> None:
    """AWS's default password policy, with its messages."""
    problems = [
        (len(password) < PASSWORD_POLICY["MinimumLength"], "Password not long enough"),
        (not any(c.isupper() for c in password), "Password must have uppercase characters"),
        (not any(c.islower() for c in password), "Password must have lowercase characters"),
        (not any(c.isdigit() for c in password), "Password must have numeric characters"),
        (not any(c in _PASSWORD_SYMBOLS for c in password), "Password must have symbol characters"),
    ]
    for failed, message in problems:
        if failed:
            raise CognitoError("InvalidPasswordException", f"Password did not conform with policy: {message}")


def pool_summary(pool: Pool, config: CognitoEmulatorConfig) -> dict:
    """A ``UserPoolDescriptionType`` (ListUserPools)."""
    return {
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": {
            name: f"arn:aws:lambda:{pool.region}:{ACCOUNT_ID}:function:{function_name(name)}"
            for name in config.trigger_map
        },
        "LastModifiedDate": pool.modified_at,
        "CreationDate": pool.created_at,
    }


def pool_description(pool: Pool, config: CognitoEmulatorConfig, user_count: int) -> dict:
    """A ``UserPoolType`` (DescribeUserPool)."""
    return {
        **pool_summary(pool, config),
        "Arn": f"arn:aws:cognito-idp:{pool.region}:{ACCOUNT_ID}:userpool/{pool.id}",
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        "DeletionProtection": "INACTIVE",
        "AutoVerifiedAttributes": ["email"],
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "MfaConfiguration": "OFF",
        "EstimatedNumberOfUsers": user_count,
    }


def client_description(client: Client, config: CognitoEmulatorConfig) -> dict:
    """A ``UserPoolClientType`` (DescribeUserPoolClient), secret included as on AWS."""
    access_validity, access_unit = _validity(config.token_validity_seconds, "minutes")
    refresh_validity, refresh_unit = _validity(config.refresh_token_validity_seconds, "days")
    description = {
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.client_id,
        "LastModifiedDate": client.modified_at,
        "CreationDate": client.created_at,
        "RefreshTokenValidity": refresh_validity,
        "AccessTokenValidity": access_validity,
        "IdTokenValidity": access_validity,
        "TokenValidityUnits": {"AccessToken": access_unit, "IdToken": access_unit, "RefreshToken": refresh_unit},
        "ExplicitAuthFlows": list(config.explicit_auth_flows),
        "AllowedOAuthFlowsUserPoolClient": False,
        "PreventUserExistenceErrors": config.prevent_user_existence_errors,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": config.auth_session_validity_minutes,
        "RefreshTokenRotation": {
            "Feature": config.refresh_token_rotation,
            "RetryGracePeriodSeconds": config.refresh_token_retry_grace_period_seconds,
        },
    }
    if client.secret is not None:
        description["ClientSecret"] = client.secret
    return description


def _validity(seconds: int, unit: str) -> tuple[int, str]:
    """A token validity as AWS reports it: a number in ``unit`` (AWS's default
    unit for that token), or in seconds when it is not a whole number of them."""
    size = {"minutes": 60, "days": 86400}[unit]
    return (seconds // size, unit) if seconds % size == 0 else (seconds, "seconds")
