"""``/devices``: officers register and remove their phones' FCM tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody
from pydantic import Field
from sqlmodel import col, select

from lfr_api.context import ctx_of
from lfr_api.db.models import Device
from lfr_api.errors import NotFound
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role

Req = Request[Any, Any, Any]


class Platform(StrEnum):
    """The phone's platform."""

    android = "android"
    ios = "ios"
    web = "web"


class DeviceIn(Schema):
    """A device registration token from Firebase Cloud Messaging."""

    token: str = Field(min_length=8, max_length=4096)
    platform: Platform
    label: str = Field("", max_length=200)


class DeviceOut(Schema):
    """A registered device (the token is not echoed back)."""

    id: str
    platform: str
    label: str
    created_at: datetime


class DeviceController(Controller):
    """The caller's own devices."""

    path = "/devices"
    tags = ["devices"]  # noqa: RUF012  (Litestar reads it per class)
    guards = allow(Role.officer, Role.supervisor)

    @post("/", sync_to_thread=True)
    def register(self, request: Req, data: JSONBody[DeviceIn]) -> DeviceOut:
        """Register a phone (re-registering a known token moves it to the caller)."""
        who = principal(request)
        with ctx_of(request).db.session() as session:
            device = session.exec(select(Device).where(Device.token == data.token)).first()
            if device is None:
                device = Device(user_id=who.id, token=data.token, platform=data.platform.value,
                                label=data.label)
            else:
                device.user_id, device.platform, device.label = (
                    who.id, data.platform.value, data.label)
            session.add(device)
            session.flush()
            return DeviceOut.model_validate(device)

    @get("/", sync_to_thread=True)
    def list_devices(self, request: Req) -> list[DeviceOut]:
        """The caller's devices."""
        with ctx_of(request).db.session() as session:
            rows = session.exec(select(Device).where(Device.user_id == principal(request).id)
                                .order_by(col(Device.created_at))).all()
            return [DeviceOut.model_validate(d) for d in rows]

    @delete("/{device_id:str}", sync_to_thread=True)
    def remove(self, request: Req, device_id: FromPath[str]) -> None:
        """Remove one of the caller's devices."""
        with ctx_of(request).db.session() as session:
            device = session.get(Device, device_id)
            if device is None or device.user_id != principal(request).id:
                raise NotFound(f"no device {device_id} of yours")
            session.delete(device)
