"""The default LFR retention policy (``default``): see README.md for each period and why."""

from __future__ import annotations

from lfr_retention_default.options import DefaultRetentionOptions
from lfr_retention_default.policy import DefaultRetentionPolicy

__all__ = ["DefaultRetentionOptions", "DefaultRetentionPolicy"]
