"""Turning credentials into a principal, on a worker thread (never on the event loop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from lfr_api.db.models import ServiceAccount, User
from lfr_api.errors import NotAuthenticated
from lfr_api.security.credentials import Credentials
from lfr_api.security.passwords import secret_digest
from lfr_api.security.roles import Principal, Role
from lfr_api.security.tokens import AccessGrant, AccessTokens


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Who the caller is and, for a user, the access token's grant (the feed re-checks it)."""

    principal: Principal
    grant: AccessGrant | None = None
    #: The API key's digest, for a service account (the feed re-checks it).
    key_digest: str | None = None


class UserState(Protocol):
    """What decides whether a user's grant still holds (a ``User``, or a row of its
    columns)."""

    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def token_version(self) -> int: ...


def user_principal(session: Session, grant: AccessGrant) -> Principal:
    """The user a grant belongs to, if the account is active and the token not revoked."""
    return grant_principal(grant, session.get(User, grant.user_id))


def grant_principal(grant: AccessGrant, user: UserState | None) -> Principal:
    """The principal of ``grant`` given its user's current state; ``NotAuthenticated`` if
    the account is gone or disabled, or the token was revoked."""
    if user is None or not user.active:
        raise NotAuthenticated("the account is disabled or no longer exists")
    if user.token_version != grant.version:
        raise NotAuthenticated("the access token was revoked (logout, or the account "
                               "changed): log in again")
    return Principal(user.id, user.username, Role(user.role))


def service_principal(session: Session, key_digest: str) -> Principal:
    """The service account an API key digest belongs to, if it is active."""
    account = session.exec(
        select(ServiceAccount).where(ServiceAccount.key_hash == key_digest)).first()
    if account is None or not account.active:
        raise NotAuthenticated("the API key is not valid")
    return Principal(account.id, account.name, Role.service, account.deployment_id)


def authenticate(engine: Engine, tokens: AccessTokens, creds: Credentials) -> Authenticated:
    """The principal for valid credentials, else ``NotAuthenticated``. Blocking: run it in a
    worker thread."""
    if creds.kind == "jwt":
        grant = tokens.grant(creds.value)
        with Session(engine) as session:
            return Authenticated(user_principal(session, grant), grant=grant)
    digest = secret_digest(creds.value)
    with Session(engine) as session:
        return Authenticated(service_principal(session, digest), key_digest=digest)
