"""Base class of every request and response schema."""

from __future__ import annotations

import pydantic


class Schema(pydantic.BaseModel):
    """Strict: unknown fields are refused (400 naming the field)."""

    model_config = pydantic.ConfigDict(extra="forbid", from_attributes=True)
