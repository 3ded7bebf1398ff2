"""The search benchmark's SFace-like templates come from the pinned photos through the
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
