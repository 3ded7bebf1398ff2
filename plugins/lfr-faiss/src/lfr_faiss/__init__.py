"""An LFR matcher on FAISS: exact search for small watchlists, a product-quantised fast scan
re-scored exactly for big ones."""

from lfr_faiss.matcher import FaissMatcher, create_matcher
from lfr_faiss.options import FaissOptions

__all__ = ["FaissMatcher", "FaissOptions", "create_matcher"]
