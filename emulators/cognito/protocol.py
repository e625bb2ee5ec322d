"""The local Cognito over HTTP: AWS JSON 1.1 as botocore speaks it, plus the
pool's JWKS and OpenID configuration.

``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``
and a JSON body; the answer is JSON with ``Content-Type:
application/x-amz-json-1.1``, errors are HTTP 400 ``{"__type", "message"}``.

The public operations (those the service model marks ``authtype: none``:
SignUp, InitiateAuth, GetTokensFromRefreshToken, ...) work unsigned, as on
AWS, and answer browsers on any origin (``Access-Control-Allow-Origin: *``),
as Cognito's endpoint does for browser SDKs. Every other operation (Admin*,
List*, Describe*, ...) needs an ``Authorization`` header in SigV4 form, or
gets AWS's ``MissingAuthenticationTokenException``; the signature itself is
not verified, so any made-up credentials do. Those operations are kept from
browsers: their answers carry no CORS headers and the preflight never allows
the ``Authorization`` header, so a page on another origin cannot send a
signed-looking request (without the preflight a browser cannot set
``X-Amz-Target`` either). Requests for another ``Host`` than its own are
refused (DNS rebinding), and bodies nested too deeply are a
``SerializationException``.

``/_dev/inbox`` and ``/_dev/inbox.json`` are the dev inbox (see
:mod:`.dev_inbox`): no CORS headers there, so only the developer's own
browser tab, not another site's page, can read the codes.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from .. import json_depth
from ..host_check import HostNotAllowed, refuse_other_hosts
from . import dev_inbox
from .errors import CognitoError
from .service import CognitoService

log = logging.getLogger("emulators.cognito")

TARGET_PREFIX = "AWSCognitoIdentityProviderService"
CONTENT_TYPE = "application/x-amz-json-1.1"

#: The operations of the ``cognito-idp`` service model with ``authtype:
#: none``: callable without AWS credentials, from browsers too. Any other
#: operation, supported here or not, must be signed.
PUBLIC_OPERATIONS = frozenset({
    "AssociateSoftwareToken", "ChangePassword", "CompleteWebAuthnRegistration", "ConfirmDevice",
    "ConfirmForgotPassword", "ConfirmSignUp", "DeleteUser", "DeleteUserAttributes",
    "DeleteWebAuthnCredential", "ForgetDevice", "ForgotPassword", "GetDevice", "GetTokensFromRefreshToken",
    "GetUser", "GetUserAttributeVerificationCode", "GetUserAuthFactors", "GlobalSignOut", "InitiateAuth",
    "ListDevices", "ListUserSessions", "ListWebAuthnCredentials", "ResendConfirmationCode",
    "RespondToAuthChallenge", "RevokeToken", "RevokeUserSession", "SetUserMFAPreference", "SetUserSettings",
    "SignUp", "StartWebAuthnRegistration", "UpdateAuthEventFeedback", "UpdateDeviceStatus",
    "UpdateUserAttributes", "VerifySoftwareToken", "VerifyUserAttribute",
})
#: An ``Authorization`` header as botocore's SigV4 signer writes it, for this
#: service; the date is the credential scope's (YYYYMMDD). Its signature is
#: not verified.
SIGV4_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 "
    r"Credential=[A-Za-z0-9]+/\d{8}/[a-z]{2}(?:-[a-z]+)+-\d/cognito-idp/aws4_request,\s*"
    r"SignedHeaders=[a-z0-9-]+(?:;[a-z0-9-]+)*,\s*"
    r"Signature=[0-9a-f]{64}$"
)
#: Request headers a preflight never allows: with it, a page could send an
#: admin operation a made-up signature.
_NEVER_ALLOWED_CROSS_ORIGIN = {"authorization"}
_DEFAULT_ALLOWED_HEADERS = "content-type,x-amz-target,x-amz-user-agent"


def create_app(service: CognitoService, bound_host: str | None = None) -> Flask:
    """``bound_host``, the interface it listens on, is answered to like the
    configured hosts, so the URLs it prints work when bound to, e.g., 0.0.0.0."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    config = service.config
    refuse_other_hosts(
        app, [config.public_host, *config.allowed_hosts], "The local Cognito", "--allowed-hosts", bound_host
    )
    operations = {
        "SignUp": service.sign_up,
        "InitiateAuth": service.initiate_auth,
        "RespondToAuthChallenge": service.respond_to_auth_challenge,
        "GetUser": service.get_user,
        "GlobalSignOut": service.global_sign_out,
        "RevokeToken": service.revoke_token,
        "GetTokensFromRefreshToken": service.get_tokens_from_refresh_token,
        "ForgotPassword": service.forgot_password,
        "ConfirmForgotPassword": service.confirm_forgot_password,
        "AdminGetUser": service.admin_get_user,
        "AdminDeleteUser": service.admin_delete_user,
        "ListUserPools": service.list_user_pools,
        "DescribeUserPool": service.describe_user_pool,
        "ListUserPoolClients": service.list_user_pool_clients,
        "DescribeUserPoolClient": service.describe_user_pool_client,
    }

    @app.post("/", provide_automatic_options=False)
    def dispatch():
        prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        if prefix != TARGET_PREFIX or not operation:
            raise CognitoError(
                "UnknownOperationException",
                f"Expected the header X-Amz-Target: {TARGET_PREFIX}.<Operation>.",
            )
        if operation not in PUBLIC_OPERATIONS:
            g.signed_operation = True
            if not SIGV4_AUTHORIZATION.match(request.headers.get("Authorization", "")):
                raise CognitoError("MissingAuthenticationTokenException", "Missing Authentication Token")
        handler = operations.get(operation)
        if handler is None:
            raise CognitoError(
                "UnsupportedOperationException",
                f"The operation {operation} is not supported by the local Cognito "
                f"(it supports {', '.join(operations)}).",
            )
        log.debug("local Cognito: %s", operation)
        return _aws_json(handler(_parameters()))

    @app.route("/", methods=["OPTIONS"])
    def preflight():
        """Allow what a browser SDK sends for a public operation, never an
        ``Authorization`` header (the preflight does not name the operation)."""
        response = Response(status=200)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        requested = request.headers.get("Access-Control-Request-Headers", _DEFAULT_ALLOWED_HEADERS)
        allowed = [
            name for name in (part.strip().lower() for part in requested.split(","))
            if name and name not in _NEVER_ALLOWED_CROSS_ORIGIN
        ]
        response.headers["Access-Control-Allow-Headers"] = ",".join(allowed) or _DEFAULT_ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @app.get("/<pool_id>/.well-known/jwks.json")
    def jwks(pool_id: str):
        _check_pool(service, pool_id)
        return _json(service.signer.jwks())

    @app.get("/<pool_id>/.well-known/openid-configuration")
    def openid_configuration(pool_id: str):
        _check_pool(service, pool_id)
        issuer = service.issuer
        return _json(
            {
                "issuer": issuer,
                "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code", "token"],
                "scopes_supported": ["openid", "email", "phone", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    app.register_blueprint(dev_inbox.blueprint(service), url_prefix="/_dev")

    @app.after_request
    def cors(response: Response) -> Response:
        if g.get("signed_operation"):
            return response  # no browser page may read, or send, an admin operation
        if request.path.startswith("/_dev/"):
            return response  # nor read the dev inbox
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
        return response

    @app.errorhandler(CognitoError)
    def cognito_error(error: CognitoError):
        log.debug("local Cognito: %s", error.name)
        return _error(error)

    @app.errorhandler(HostNotAllowed)
    def host_not_allowed(error: HostNotAllowed):
        return _error(CognitoError("AccessDeniedException", error.description, 403))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path != "/":
            return _error(CognitoError("ResourceNotFoundException", error.description, error.code))
        return _error(CognitoError("InvalidRequestException", error.description, error.code))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("local Cognito: unexpected error")
        return _error(CognitoError("InternalErrorException", "Unexpected error in the local Cognito.", 500))

    return app


def _parameters() -> dict:
    raw = request.get_data(cache=False)
    try:
        body = json_depth.loads(raw) if raw.strip() else {}
    except json_depth.TooDeeplyNested as exc:
        raise CognitoError("SerializationException", str(exc)) from None
    except ValueError:
        raise CognitoError("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise CognitoError("SerializationException", "The request body must be a JSON object.")
    return body


def _check_pool(service: CognitoService, pool_id: str) -> None:
    if pool_id != service.pool.id:
        raise CognitoError("ResourceNotFoundException", f"User pool {pool_id} does not exist.", 404)


def _aws_json(body: dict, status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _json(body: dict) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _error(error: CognitoError) -> Response:
    response = _aws_json(error.body(), error.status)
    response.headers["x-amzn-ErrorType"] = f"{error.name}:"
    return response
