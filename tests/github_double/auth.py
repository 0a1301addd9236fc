"""Who is calling: an App JWT, an installation access token or a person's token."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass

import jwt

from .errors import ApiError
from .model import User
from .state import GitHubState

JWT_PATHS = re.compile(
    r"^/(app(/.*)?|repos/[^/]+/[^/]+/installation|orgs/[^/]+/installation|users/[^/]+/installation)$"
)
MAX_JWT_LIFETIME = 600 + 30  # GitHub allows ten minutes; a little slack for clock rounding


@dataclass(frozen=True)
class Principal:
    kind: str  # "app" | "installation" | "user"
    user: User  # the bot user for an installation, the person for a user token, the app's owner for a JWT
    installation_id: int | None = None

    @property
    def actor(self) -> str:
        if self.kind == "installation":
            return f"installation:{self.installation_id}"
        if self.kind == "user":
            return f"user:{self.user.login}"
        return "app"


def _b64json(segment: str) -> dict[str, object]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def check_jwt(token: str, state: GitHubState, public_key: str | bytes | None) -> Principal:
    undecodable = ApiError(401, "A JSON web token could not be decoded")
    parts = token.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts):
        raise undecodable
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise undecodable from None
    if header.get("alg") != "RS256":
        raise undecodable
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise ApiError(401, "'Issued at' and 'Expiration time' claims are required")
    if exp <= now:
        raise ApiError(
            401, "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        )
    if iat > now + 60:
        raise ApiError(
            401,
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        )
    if exp - iat > MAX_JWT_LIFETIME:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
    if str(claims.get("iss")) != str(state.app.id):
        raise ApiError(401, "'Issuer' claim ('iss') must be the App's id")
    if public_key is not None:
        try:
            jwt.decode(token, public_key, algorithms=["RS256"], leeway=60, options={"verify_iat": False})
        except jwt.PyJWTError:
            raise ApiError(401, "A JSON web token could not be decoded") from None
    return Principal("app", state.app.owner)


def authenticate(
    path: str, authorization: str | None, state: GitHubState, public_key: str | bytes | None
) -> Principal:
    """The caller of `path`, or ApiError(401) in GitHub's words."""
    if not authorization:
        raise ApiError(401, "Requires authentication")
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if JWT_PATHS.match(path):
        if scheme.lower() != "bearer":
            raise ApiError(401, "A JSON web token could not be decoded")
        return check_jwt(credential, state, public_key)
    if scheme.lower() not in ("token", "bearer") or not credential:
        raise ApiError(401, "Bad credentials")
    token = state.valid_token(credential)
    if token is None:
        raise ApiError(401, "Bad credentials")
    if token.installation_id is not None:
        return Principal("installation", state.bot, token.installation_id)
    assert token.user is not None
    return Principal("user", token.user)
