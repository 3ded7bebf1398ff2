"""The model store: every model artifact pinned by sha256, fetched or imported, never committed."""

from lfr_framework.models.store import ModelStore, default_home, sha256_of

__all__ = ["ModelStore", "default_home", "sha256_of"]
