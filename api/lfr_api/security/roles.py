"""Roles, and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a caller may do. ``service`` is a camera node's API key, never a person."""

    admin = "admin"
    authorising_officer = "authorising_officer"
    officer = "officer"
    supervisor = "supervisor"
    compliance = "compliance"
    service = "service"


USER_ROLES = frozenset(r for r in Role if r is not Role.service)
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user, or a service account bound to one deployment."""

    id: str
    name: str
    role: Role
    deployment_id: str | None = None

    @property
    def is_service(self) -> bool:
        """Whether this is a camera node's service account."""
        return self.role is Role.service

    @property
    def actor(self) -> str:
        """How audit records name this caller."""
        return f"{'service' if self.is_service else 'user'}:{self.name}"
