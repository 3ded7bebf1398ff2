"""The default LFR matcher: a 1:N index over one deployment's watchlist templates."""

from lfr_usearch.matcher import UsearchMatcher, create_matcher
from lfr_usearch.options import UsearchOptions

__all__ = ["UsearchMatcher", "UsearchOptions", "create_matcher"]
