"""Login, refresh and identity schemas."""

from __future__ import annotations

from pydantic import Field

from lfr_api.schemas import Schema


class LoginRequest(Schema):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(Schema):
    """A refresh token from login or a previous refresh."""

    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(Schema):
    """A short-lived access token and a rotating refresh token."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(Schema):
    """Who the caller is."""

    id: str
    name: str
    role: str
    deployment_id: str | None = None
