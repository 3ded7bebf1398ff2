"""Short-lived access tokens (HS256 JWT)."""

from __future__ import annotations

from datetime import timedelta

import jwt

from lfr_api.db.types import new_id, utcnow
from lfr_api.errors import NotAuthenticated
from lfr_api.settings import Settings


class AccessTokens:
    """Issues and checks access tokens."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self.lifetime = timedelta(seconds=settings.access_token_seconds)

    def issue(self, user_id: str, role: str) -> str:
        """A signed access token for ``user_id``."""
        now = utcnow()
        claims = {"sub": user_id, "role": role, "iss": self._issuer, "iat": now,
                  "exp": now + self.lifetime, "jti": new_id(), "typ": "access"}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> str:
        """The user id of a valid access token, or ``NotAuthenticated``."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], issuer=self._issuer,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the access token has expired: refresh it") from None
        except jwt.PyJWTError:
            raise NotAuthenticated("the access token is not valid") from None
        if claims.get("typ") != "access":
            raise NotAuthenticated("not an access token")
        return str(claims["sub"])
