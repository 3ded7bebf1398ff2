"""User schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lfr_api.schemas import Schema
from lfr_api.security.roles import Role

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{2,64}$"


class UserCreate(Schema):
    """A new user account (never a service account: those belong to a deployment)."""

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=12, max_length=1024)
    role: Role
    display_name: str = Field("", max_length=200)


class UserUpdate(Schema):
    """Fields an admin may change."""

    role: Role | None = None
    display_name: str | None = Field(None, max_length=200)
    active: bool | None = None
    password: str | None = Field(None, min_length=12, max_length=1024)


class UserOut(Schema):
    """A user as the API shows it (never the password hash)."""

    id: str
    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime
