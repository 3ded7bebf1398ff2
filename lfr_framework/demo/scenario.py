"""What the demo shows: who is on the watchlist and who walks past the camera."""

from __future__ import annotations

from lfr_framework.evaluation.scenes import Pass, SceneSpec

#: Watchlist entry id → the photo enrolled for it.
WATCHLIST = {"WL-0001-obama": "obama", "WL-0002-biden": "biden"}
#: The identity each entry stands for, to compare alerts with the ground truth.
ENTRY_IDENTITY = {"WL-0001-obama": "obama", "WL-0002-biden": "biden"}


def demo_scene(seed: int = 7) -> SceneSpec:
    """Eight seconds at 720p: the watchlisted person passes twice (other photos than the
    enrolled one), two people who are not on the watchlist pass too, at several sizes."""
    passes = [
        Pass(identity="obama", photo="obama2", start_s=0.0, duration_s=3.5,
             face_height_px=150, y_frac=0.35),
        Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.5, duration_s=4.0,
             face_height_px=120, y_frac=0.7, direction=-1),
        Pass(identity="eileen_collins", photo="astronaut", start_s=3.5, duration_s=4.0,
             face_height_px=110, y_frac=0.3, end_face_height_px=170),
        Pass(identity="obama", photo="obama3", start_s=4.0, duration_s=3.5,
             face_height_px=100, y_frac=0.68, direction=-1, end_face_height_px=140),
    ]
    return SceneSpec(duration_s=8.0, passes=passes, width=1280, height=720, fps=25.0, seed=seed)
