"""The search and recogniser benchmarks' faces come from the pinned photos through the
default plugins (``make bench`` failed when the module they came from moved)."""

from __future__ import annotations

import numpy as np

from benchmarks.search_data import real_templates


def test_real_templates_are_the_pinned_faces_and_their_degraded_copies() -> None:
    real = real_templates()
    assert real.clean.shape == (6, 128) and real.degraded.shape == (174, 128)
    assert np.allclose(np.linalg.norm(real.clean, axis=1), 1.0, atol=1e-3)
    scores = real.clean @ real.clean.T
    # Obama's three photos (pinned first) are one another's nearest; the others are not.
    for i in range(3):
        others = [j for j in range(6) if j != i]
        nearest = max(others, key=lambda j: scores[i, j])
        assert nearest in (0, 1, 2)
    assert scores[3:, :3].max() < 0.363  # different people stay below SFace's 1:1 threshold
    # A degraded copy still resembles the photo it was made from.
    mated = np.einsum("ij,ij->i", real.degraded, real.clean[real.photo_of])
    assert float(np.median(mated)) > 0.5


def test_the_recogniser_benchmark_gets_clean_and_degraded_crops_of_the_pinned_faces() -> None:
    from benchmarks.recogniser import crop_set

    crops, identities, kinds = crop_set(placements=1)
    assert len(crops) == len(identities) == len(kinds)
    assert kinds.count("clean") == 6
    assert {"size", "blur", "motion", "jpeg", "light", "combined"} <= set(kinds)
    assert all(c.shape == (112, 112, 3) for c in crops)
