"""Device lookups for push publishers (the FCM sink's seam)."""

from __future__ import annotations

from sqlmodel import col, delete, select

from lfr_api.db.engine import Database
from lfr_api.db.models import Assignment, Device, User
from lfr_api.security.roles import Role


def tokens_for_deployment(db: Database, deployment_id: str) -> list[str]:
    """FCM tokens of the active officers and supervisors assigned to a deployment."""
    with db.session() as session:
        rows = session.exec(
            select(Device.token)
            .join(User, col(User.id) == col(Device.user_id))
            .join(Assignment, col(Assignment.user_id) == col(User.id))
            .where(Assignment.deployment_id == deployment_id, col(User.active).is_(True),
                   col(User.role).in_([Role.officer.value, Role.supervisor.value]))).all()
        return sorted(set(rows))


def remove_token(db: Database, token: str) -> bool:
    """Forget a token FCM reported as unregistered; return whether it was known."""
    with db.session() as session:
        result = session.exec(delete(Device).where(
            col(Device.token) == token))
        return bool(result.rowcount)
