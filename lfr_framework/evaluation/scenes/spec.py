"""What a synthetic scene shows: the passes of faces across the frame and the degradations."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lfr_framework.errors import ConfigurationError

#: The synthetic backgrounds :func:`lfr_framework.evaluation.scenes.render_frames` can draw.
BACKGROUNDS = ("street", "hall")


@dataclass(frozen=True, kw_only=True)
class Pass:
    """One person walking across the frame, from one edge to the other.

    The face enters fully outside the frame at ``start_s`` (which may be negative: the
    pass is then already under way when the scene starts) and has left it after
    ``duration_s``. ``face_height_px`` is the height of the face box in the frame;
    ``end_face_height_px`` makes the face grow or shrink linearly (someone approaching
    or walking away). ``y_frac`` is the face centre's height as a fraction of the frame;
    ``direction`` is ``+1`` (left to right) or ``-1``.
    """

    identity: str
    photo: str
    start_s: float
    duration_s: float
    face_height_px: float
    y_frac: float
    direction: int = 1
    end_face_height_px: float | None = None

    def __post_init__(self) -> None:
        _check(bool(self.identity), "pass.identity", "must not be empty")
        _check(bool(self.photo), "pass.photo", "must not be empty")
        _check(math.isfinite(self.start_s), "pass.start_s", "must be a finite number")
        _check(self.duration_s > 0, "pass.duration_s", f"must be > 0, got {self.duration_s}")
        for name in ("face_height_px", "end_face_height_px"):
            value = getattr(self, name)
            if value is not None:
                _check(8 <= value <= 2000, f"pass.{name}", f"must be 8..2000 px, got {value}")
        _check(0.0 <= self.y_frac <= 1.0, "pass.y_frac", f"must be 0..1, got {self.y_frac}")
        _check(self.direction in (1, -1), "pass.direction",
               f"must be 1 or -1, got {self.direction}")

    def face_height_at(self, u: float) -> float:
        """The face height in pixels at fraction ``u`` (0..1) of the pass."""
        end = self.face_height_px if self.end_face_height_px is None else self.end_face_height_px
        return self.face_height_px + (end - self.face_height_px) * u


@dataclass(frozen=True, kw_only=True)
class SceneSpec:
    """A whole scene: frame size and rate, the passes, the background and degradations.

    Degradations, applied in this order: ``motion_blur_px`` (horizontal smear of each
    moving face), ``blur`` (Gaussian sigma over the whole frame, defocus), ``brightness``
    (scaling; below 1 it also adds sensor noise of sigma ``noise_sigma``, by default
    ``25 * (1 - brightness)``), then ``jpeg_quality`` (re-compression at that quality).
    """

    duration_s: float
    passes: list[Pass] = field(default_factory=list)
    width: int = 1280
    height: int = 720
    fps: float = 25.0
    seed: int = 0
    background: str = "street"
    blur: float = 0.0
    motion_blur_px: int = 0
    jpeg_quality: int | None = None
    brightness: float = 1.0
    noise_sigma: float | None = None

    def __post_init__(self) -> None:
        _check(0 < self.duration_s <= 24 * 3600, "duration_s",
               f"must be 0..86400 s, got {self.duration_s}")
        for name in ("width", "height"):
            value = getattr(self, name)
            _check(64 <= value <= 7680 and value % 2 == 0, name,
                   f"must be an even number of pixels, 64..7680, got {value}")
        _check(0 < self.fps <= 240, "fps", f"must be 0..240, got {self.fps}")
        _check(self.background in BACKGROUNDS, "background",
               f"unknown background {self.background!r}; choose one of {', '.join(BACKGROUNDS)}")
        _check(0.0 <= self.blur <= 50.0, "blur", f"must be 0..50, got {self.blur}")
        _check(0 <= self.motion_blur_px <= 200, "motion_blur_px",
               f"must be 0..200, got {self.motion_blur_px}")
        if self.jpeg_quality is not None:
            _check(1 <= self.jpeg_quality <= 100, "jpeg_quality",
                   f"must be 1..100, got {self.jpeg_quality}")
        _check(0.0 < self.brightness <= 4.0, "brightness", f"must be 0..4, got {self.brightness}")
        if self.noise_sigma is not None:
            _check(0.0 <= self.noise_sigma <= 100.0, "noise_sigma",
                   f"must be 0..100, got {self.noise_sigma}")
        for item in self.passes:
            _check(isinstance(item, Pass), "passes", f"must hold Pass objects, got {item!r}")

    @property
    def frame_count(self) -> int:
        """How many frames the scene has."""
        return max(1, round(self.duration_s * self.fps))

    @property
    def effective_noise_sigma(self) -> float:
        """The sensor-noise sigma actually applied (see the class docstring)."""
        if self.noise_sigma is not None:
            return self.noise_sigma
        return 25.0 * (1.0 - self.brightness) if self.brightness < 1.0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneSpec:
        """Rebuild a spec written by :meth:`to_dict`; a bad value raises ConfigurationError."""
        try:
            values = dict(data)
            values["passes"] = [Pass(**p) for p in values.get("passes", [])]
            return cls(**values)
        except TypeError as exc:
            raise ConfigurationError(f"invalid scene spec: {exc}") from exc


def _check(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigurationError(f"scene {key}: {problem}")
