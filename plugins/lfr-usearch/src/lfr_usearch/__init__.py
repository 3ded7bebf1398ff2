"""The default LFR matcher: a 1:N index over one deployment's watchlist templates."""

from lfr_usearch._native import load_system_cxx_runtime

load_system_cxx_runtime()  # before usearch is imported: see _native

from lfr_usearch.matcher import UsearchMatcher, create_matcher  # noqa: E402
from lfr_usearch.options import UsearchOptions  # noqa: E402

__all__ = ["UsearchMatcher", "UsearchOptions", "create_matcher"]
