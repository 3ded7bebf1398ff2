"""The options a deployment file may give the ``usearch`` matcher."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Watchlists with fewer templates than this are searched exactly (brute force); measured
#: with ``benchmarks/crossover.py`` on a 2-core machine, see the README.
DEFAULT_EXACT_BELOW = 150_000


class UsearchOptions(BaseModel):
    """Options of the ``usearch`` matcher; every field has a measured default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact_below: int = Field(
        default=DEFAULT_EXACT_BELOW,
        ge=0,
        description="Search exactly while the watchlist holds fewer templates than this; "
        "use the HNSW graph from this many templates on (0: always HNSW).",
    )
    connectivity: int = Field(
        default=32, ge=2, le=256, description="HNSW edges per node (the paper's M)."
    )
    expansion_add: int = Field(
        default=128, ge=1, le=4096, description="HNSW search depth when inserting."
    )
    expansion_search: int = Field(
        default=128, ge=1, le=4096, description="HNSW search depth when querying (ef)."
    )
    dtype: Literal["f32", "f16", "i8"] = Field(
        default="i8",
        description="Scalar type of the HNSW graph's vector copy (i8: a quarter of f32's "
        "memory, about half its distance cost); scores are always recomputed in float32.",
    )
    candidates: int = Field(
        default=16, ge=1, le=4096,
        description="Graph hits per query re-scored exactly in float32 (at least k times "
        "the most templates one entry has).",
    )
    bulk_add: int = Field(
        default=1024, ge=1, le=1_000_000,
        description="Templates added after the graph exists wait, scored exactly, until "
        "this many can go into the graph in one bulk insert.",
    )
    build_threads: int = Field(
        default=0, ge=0, le=256,
        description="Threads for bulk inserts into the graph (0: one per core).",
    )
