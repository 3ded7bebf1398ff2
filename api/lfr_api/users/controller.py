"""``/users``: admins manage accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlmodel import col, select

from lfr_api.context import ctx_of
from lfr_api.db.models import User
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role
from lfr_api.users import service
from lfr_api.users.schemas import UserCreate, UserOut, UserUpdate


class UserController(Controller):
    """User administration (admin only)."""

    path = "/users"
    tags = ["users"]  # noqa: RUF012  (Litestar reads it per class)
    guards = allow(Role.admin)

    @post("/", sync_to_thread=True)
    def create(self, request: Request[Any, Any, Any], data: JSONBody[UserCreate]) -> UserOut:
        """Create a user with a role."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            return UserOut.model_validate(service.create_user(
                session, ctx.passwords, data, principal(request).actor))

    @get("/", sync_to_thread=True)
    def list_users(self, request: Request[Any, Any, Any]) -> list[UserOut]:
        """Every user."""
        with ctx_of(request).db.session() as session:
            users = session.exec(select(User).order_by(col(User.username))).all()
            return [UserOut.model_validate(u) for u in users]

    @get("/{user_id:str}", sync_to_thread=True)
    def get_user(self, request: Request[Any, Any, Any], user_id: FromPath[str]) -> UserOut:
        """One user."""
        with ctx_of(request).db.session() as session:
            return UserOut.model_validate(service.get_user(session, user_id))

    @patch("/{user_id:str}", sync_to_thread=True)
    def update(self, request: Request[Any, Any, Any], user_id: FromPath[str],
               data: JSONBody[UserUpdate]) -> UserOut:
        """Change a user's role, name, password or disable the account."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            return UserOut.model_validate(
                service.update_user(session, ctx.passwords, user_id, data,
                                    principal(request).actor))
