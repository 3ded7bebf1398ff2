"""Watchlist schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from lfr_api.schemas import Schema


class Category(StrEnum):
    """Why a person is on the watchlist."""

    wanted_serious_offence = "wanted_serious_offence"
    outstanding_warrant = "outstanding_warrant"
    missing_vulnerable = "missing_vulnerable"
    risk_of_harm = "risk_of_harm"
    other = "other"


class EntryMetadata(Schema):
    """The form fields sent with the images (multipart ``images`` holds the files)."""

    reference: str = Field(min_length=1, max_length=200,
                           description="a warrant or case number")
    category: Category
    reason: str = Field(min_length=1, max_length=2000)
    image_source: str = Field(min_length=1, max_length=500,
                              description="where the image comes from (custody record, …)")
    lawfully_held: Literal[True] = Field(
        description="the image is lawfully held by the force (must be true)")


class ImageOut(Schema):
    """An enrolled image (its bytes via ``link``, for authorised callers)."""

    id: str
    filename: str
    content_type: str
    link: str


class EntryOut(Schema):
    """A watchlist entry."""

    id: str
    deployment_id: str
    reference: str
    category: str
    reason: str
    image_source: str
    lawfully_held: bool
    added_by: str
    added_at: datetime
    model_id: str
    images: list[ImageOut] = Field(default_factory=list)
