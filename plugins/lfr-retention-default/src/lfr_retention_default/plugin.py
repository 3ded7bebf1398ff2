"""Registers the retention policy ``default``."""

from __future__ import annotations

from typing import Any

from lfr_framework import hookimpl
from lfr_framework.hookspecs import ComponentRegister
from lfr_retention_default.options import DefaultRetentionOptions
from lfr_retention_default.policy import DefaultRetentionPolicy


def default_policy(**options: Any) -> DefaultRetentionPolicy:
    """The default policy with the (already validated) per-deployment options."""
    return DefaultRetentionPolicy(DefaultRetentionOptions(**options))


@hookimpl
def register_retention_policies(register: ComponentRegister) -> None:
    """Register ``default``."""
    register("default", default_policy, options=DefaultRetentionOptions)
