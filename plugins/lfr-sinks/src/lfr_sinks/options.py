"""The option models the core validates before it calls a sink factory.

Unknown keys are rejected, so a misspelt option fails at start-up with its name.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

#: ``module:attribute``, the attribute possibly dotted (``pkg.mod:Class.method``).
TARGET_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"  # noqa: E501


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JsonlOptions(_Options):
    """Options of the ``jsonl`` sink."""

    path: Path = Field(
        description="The JSON Lines file alerts are appended to; missing parent directories "
        "are created. A relative path is relative to the working directory."
    )


class CallbackOptions(_Options):
    """Options of the ``callback`` sink."""

    target: str = Field(
        pattern=TARGET_PATTERN,
        description="The callable to call with each alert, as 'module:function' "
        "(or 'package.module:object.method'); imported at start-up.",
    )
