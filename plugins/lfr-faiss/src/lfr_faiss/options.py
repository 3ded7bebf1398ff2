"""The options a deployment file may give the ``faiss`` matcher."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: Below this many templates every search is exact; measured with ``benchmarks/search.py``
#: on a 2-core machine (exact 0.11 ms against 0.07 ms for the quantised scan at 10k).
DEFAULT_EXACT_BELOW = 20_000


class FaissOptions(BaseModel):
    """Options of the ``faiss`` matcher; every field has a measured default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact_below: int = Field(
        default=DEFAULT_EXACT_BELOW, ge=0,
        description="Search exactly while the watchlist holds fewer templates than this; "
        "from this many on, a 4-bit product-quantised scan proposes candidates (0: always).",
    )
    subquantizers: int | None = Field(
        default=None, ge=1, le=1024,
        description="Product-quantiser sub-vectors (4 bits each); must divide the template "
        "dimension. More: finer codes, slower scan. None: the largest divisor of the "
        "dimension up to 64 that leaves at least 2 values per sub-vector (64 for SFace).",
    )
    candidates: int = Field(
        default=256, ge=1, le=65_536,
        description="Scan hits per query re-scored exactly in float32 (at least k times "
        "the most templates one entry has).",
    )
    train_size: int = Field(
        default=65_536, ge=1_024, le=10_000_000,
        description="At most this many templates train the quantiser (a seeded sample).",
    )
    compact_fraction: float = Field(
        default=0.1, gt=0.0, le=1.0,
        description="Re-encode the codes without removed templates once they make up this "
        "share of the index.",
    )
    build_threads: int = Field(
        default=0, ge=0, le=256,
        description="Threads for training and encoding a whole index (0: one below 65,536 "
        "templates, one per core from there on).",
    )
    search_threads: int = Field(
        default=1, ge=1, le=256,
        description="Threads per search (1: one camera worker per core asks at a time).",
    )
