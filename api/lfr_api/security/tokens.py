"""Short-lived access tokens (HS256 JWT) carrying the user's token version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from lfr_api.db.types import new_id, utcnow
from lfr_api.errors import NotAuthenticated
from lfr_api.settings import Settings


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What a verified access token says: whose it is, its token version, when it ends."""

    user_id: str
    version: int
    expires_at: datetime


class AccessTokens:
    """Issues and checks access tokens."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self.lifetime = timedelta(seconds=settings.access_token_seconds)

    def issue(self, user_id: str, role: str, version: int = 0) -> str:
        """A signed access token for ``user_id`` at the user's token ``version``."""
        now = utcnow()
        claims = {"sub": user_id, "role": role, "iss": self._issuer, "iat": now,
                  "exp": now + self.lifetime, "jti": new_id(), "typ": "access", "ver": version}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def grant(self, token: str) -> AccessGrant:
        """The grant of a valid access token, or ``NotAuthenticated``."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], issuer=self._issuer,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the access token has expired: refresh it") from None
        except jwt.PyJWTError:
            raise NotAuthenticated("the access token is not valid") from None
        if claims.get("typ") != "access":
            raise NotAuthenticated("not an access token")
        version = claims.get("ver", 0)
        if not isinstance(version, int):
            raise NotAuthenticated("the access token is not valid")
        return AccessGrant(str(claims["sub"]), version,
                           datetime.fromtimestamp(int(claims["exp"]), UTC))

    def verify(self, token: str) -> str:
        """The user id of a valid access token, or ``NotAuthenticated``."""
        return self.grant(token).user_id
