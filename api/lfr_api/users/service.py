"""Creating and changing users."""

from __future__ import annotations

from sqlmodel import Session, select

from lfr_api.db import audit
from lfr_api.db.models import User
from lfr_api.errors import Conflict, InvalidRequest, NotFound
from lfr_api.security.passwords import Passwords
from lfr_api.security.roles import Role
from lfr_api.users.schemas import UserCreate, UserUpdate


def create_user(session: Session, passwords: Passwords, data: UserCreate,
                actor: str = "system") -> User:
    """A new user; 409 when the username is taken. Audited as ``user.created``."""
    if data.role is Role.service:
        raise InvalidRequest("service accounts are created under a deployment",
                             errors=[{"field": "role", "message": "not a user role"}])
    if session.exec(select(User).where(User.username == data.username)).first() is not None:
        raise Conflict(f"the username {data.username!r} is taken")
    user = User(username=data.username, display_name=data.display_name, role=data.role.value,
                password_hash=passwords.hash(data.password))
    session.add(user)
    audit.record(session, actor=actor, action="user.created", subject=f"user:{user.id}",
                 details={"username": user.username, "role": user.role})
    return user


def get_user(session: Session, user_id: str) -> User:
    """A user by id, or 404."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _keep_one_admin(session: Session, user: User, data: UserUpdate) -> None:
    """409 when the change would leave no active admin (the rows are locked on PostgreSQL,
    so two admins demoting each other at once cannot both succeed)."""
    demoted = data.role is not None and data.role is not Role.admin
    if user.role != Role.admin.value or not user.active or not (
            demoted or data.active is False):
        return
    admins = session.exec(select(User).where(User.role == Role.admin.value,
                                             User.active == True)  # noqa: E712
                          .with_for_update()).all()
    if not any(a.id != user.id for a in admins):
        raise Conflict("this is the last active admin: make another admin first")


def _admins_left(session: Session) -> None:
    """409 unless an active admin is left once this change is written. SQLite takes its
    write lock only at the first write, so the check before it cannot see a concurrent
    demotion that committed meanwhile; this one, after the write, can."""
    session.flush()
    left = session.exec(select(User.id).where(User.role == Role.admin.value,
                                              User.active == True)).first()  # noqa: E712
    if left is None:
        raise Conflict("this is the last active admin: make another admin first")


def update_user(session: Session, passwords: Passwords, user_id: str, data: UserUpdate,
                actor: str = "system") -> User:
    """Apply an admin's change to a user. Audited as ``user.updated`` (what changed; a new
    password only as ``password_changed``). Deactivation, a role change and a new password
    revoke the user's access tokens; the last active admin cannot be demoted or disabled."""
    user = get_user(session, user_id)
    _keep_one_admin(session, user, data)
    before = {"role": user.role, "display_name": user.display_name, "active": user.active}
    if data.role is not None:
        if data.role is Role.service:
            raise InvalidRequest("not a user role",
                                 errors=[{"field": "role", "message": "not a user role"}])
        user.role = data.role.value
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.active is not None:
        user.active = data.active
    if data.password is not None:
        user.password_hash = passwords.hash(data.password)
    session.add(user)
    after = {"role": user.role, "display_name": user.display_name, "active": user.active}
    changes = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if "role" in changes or "active" in changes or data.password is not None:
        user.token_version += 1
    if before["role"] == Role.admin.value and before["active"] and (
            user.role != Role.admin.value or not user.active):
        _admins_left(session)
    audit.record(session, actor=actor, action="user.updated", subject=f"user:{user.id}",
                 details={"changes": changes, "password_changed": data.password is not None})
    return user
