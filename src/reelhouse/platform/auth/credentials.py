"""Password hashes (Argon2), signed access tokens (JWT) and API key material."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from reelhouse.platform.errors import Unauthorized

API_KEY_MARKER = "rh_"
API_KEY_PREFIX_LENGTH = 8
JWT_ALGORITHM = "HS256"
_password_hash = PasswordHash((Argon2Hasher(),))
# Verifying against this when no user matches keeps a wrong email as slow as a wrong password.
_UNUSED_HASH = _password_hash.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _password_hash.verify(password, _UNUSED_HASH)
        return False
    return _password_hash.verify(password, password_hash)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    org_id: uuid.UUID
    expires_at: datetime
    token_version: int = 0


def issue_access_token(
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    secret: str,
    lifetime: timedelta,
    token_version: int = 0,
) -> tuple[str, datetime]:
    """A signed token naming the user, organization and credentials version, and its expiry."""
    issued_at = datetime.now(UTC)
    expires_at = issued_at + lifetime
    claims = {
        "sub": str(user_id),
        "org": str(org_id),
        "iat": issued_at,
        "exp": expires_at,
        "typ": "access",
        "ver": token_version,
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), expires_at


def read_access_token(token: str, secret: str) -> AccessClaims:
    """The claims of a valid token; an expired, forged or malformed one is ``Unauthorized``."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "org", "exp", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid token") from exc
    if claims["typ"] != "access":
        raise Unauthorized("invalid token")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            org_id=uuid.UUID(claims["org"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            # Tokens issued before versions existed count as the first version.
            token_version=int(claims.get("ver", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise Unauthorized("invalid token") from exc


@dataclass(frozen=True)
class NewApiKey:
    secret: str
    prefix: str
    key_hash: str


def generate_api_key() -> NewApiKey:
    secret = API_KEY_MARKER + secrets.token_urlsafe(32)
    return NewApiKey(secret=secret, prefix=api_key_prefix(secret), key_hash=hash_api_key(secret))


def is_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_MARKER)


def api_key_prefix(secret: str) -> str:
    return secret[len(API_KEY_MARKER) : len(API_KEY_MARKER) + API_KEY_PREFIX_LENGTH]


def hash_api_key(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is safe here, unlike for passwords.
    return hashlib.sha256(secret.encode()).hexdigest()
