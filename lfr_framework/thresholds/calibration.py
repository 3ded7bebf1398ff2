"""A recogniser model's score calibration: its false match rate FMR(t) with a 95% band.

A calibration file is JSON, one per model id and model sha256, made by ``lfr calibrate`` from
impostor scores on real photos. It holds scores only, aggregated: never a template, an image
or a name. The empirical FMR is stored on a grid of thresholds; above the tail threshold the
GPD tail (:mod:`lfr_framework.thresholds.tail`) takes over; the band comes from the same fit
repeated on identity-level bootstrap resamples (identities, not pairs, are the independent
units: each photo takes part in hundreds of pairs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfr_framework.errors import CalibrationError
from lfr_framework.thresholds.tail import TailFit

FORMAT_VERSION = 1
#: Percentiles of the bootstrap that bound the 95% band.
BAND = (2.5, 97.5)
#: A calibration vouches for false match rates down to this fraction of the smallest rate
#: its pairs can show (1 / pairs): a tail model is trusted one decade beyond its data.
EXTRAPOLATION = 0.1


@dataclass(frozen=True)
class Calibration:
    """FMR(t) of one model, with its 95% band and where it came from."""

    model_id: str
    model_sha256: str
    identities: int
    photos: int
    pairs: dict[str, int]
    dataset_digest: str
    created_at: str
    versions: dict[str, str]
    method: dict[str, Any]
    recipe: dict[str, Any]
    grid: list[float] = field(repr=False)
    fmr_empirical: list[float] = field(repr=False)
    fmr_low: list[float] = field(repr=False)
    fmr_high: list[float] = field(repr=False)
    tail: TailFit = field(repr=False)
    bootstrap: list[TailFit] = field(repr=False)
    histogram: dict[str, list[float]] = field(repr=False, default_factory=dict)

    # -- queries ----------------------------------------------------------------------

    @property
    def total_pairs(self) -> int:
        """How many impostor comparisons the calibration rests on."""
        return int(sum(self.pairs.values()))

    @property
    def min_fmr(self) -> float:
        """The smallest false match rate this calibration vouches for."""
        return EXTRAPOLATION / max(self.total_pairs, 1)

    def max_comparisons(self, target_fpir: float) -> int:
        """The largest watchlist (templates) for which ``target_fpir`` is vouched for."""
        return int(np.log1p(-target_fpir) / np.log1p(-self.min_fmr))

    def fmr(self, t: float) -> tuple[float, float, float]:
        """``(estimate, low, high)`` of the false match rate at threshold ``t``."""
        if t < self.tail.u:
            grid = np.asarray(self.grid)
            return (float(np.interp(t, grid, self.fmr_empirical)),
                    float(np.interp(t, grid, self.fmr_low)),
                    float(np.interp(t, grid, self.fmr_high)))
        values = [b.fmr(t) for b in self.bootstrap]
        low, middle, high = np.percentile(values, [BAND[0], 50.0, BAND[1]])
        # The bootstrap median, not the full fit: a bounded (ξ < 0) tail fitted once can put
        # its end point just above t and read as "never", which the resamples do not support.
        return float(middle), float(low), float(high)

    def threshold_for_fmr(self, fmr: float) -> tuple[float, float]:
        """``(estimate, conservative)`` thresholds for a false match rate of ``fmr``: the
        bootstrap's median, and the band's pessimistic edge (the higher threshold)."""
        if fmr >= self.tail.p_u:
            return self._empirical_threshold(self.fmr_empirical, fmr), \
                self._empirical_threshold(self.fmr_high, fmr)
        values = [b.threshold(fmr) if fmr < b.p_u else b.u for b in self.bootstrap]
        middle, high = np.percentile(values, [50.0, BAND[1]])
        return float(middle), float(max(middle, high))

    def _empirical_threshold(self, curve: list[float], fmr: float) -> float:
        """The lowest grid threshold at which ``curve`` (decreasing) is at most ``fmr``."""
        for t, value in zip(self.grid, curve, strict=True):
            if value <= fmr:
                return float(t)
        return float(self.grid[-1])

    # -- files ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The calibration as JSON-ready values (the file format, version 1)."""
        return {
            "format_version": FORMAT_VERSION, "model_id": self.model_id,
            "model_sha256": self.model_sha256, "identities": self.identities,
            "photos": self.photos, "pairs": dict(self.pairs),
            "dataset_digest": self.dataset_digest, "created_at": self.created_at,
            "versions": dict(self.versions), "method": dict(self.method),
            "recipe": dict(self.recipe),
            "grid": _rounded(self.grid, 4), "fmr_empirical": _rounded(self.fmr_empirical, 10),
            "fmr_low": _rounded(self.fmr_low, 10), "fmr_high": _rounded(self.fmr_high, 10),
            "tail": _rounded(self.tail.as_list(), 10),
            "bootstrap": [_rounded(b.as_list(), 8) for b in self.bootstrap],
            "histogram": self.histogram,
        }

    def save(self, path: Path) -> None:
        """Write the calibration file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<calibration>") -> Calibration:
        """Read a calibration; ``CalibrationError`` naming ``source`` if it is not one."""
        try:
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format_version {data.get('format_version')!r} is not "
                                 f"{FORMAT_VERSION}")
            calibration = cls(
                model_id=str(data["model_id"]), model_sha256=str(data["model_sha256"]),
                identities=int(data["identities"]), photos=int(data["photos"]),
                pairs={str(k): int(v) for k, v in data["pairs"].items()},
                dataset_digest=str(data["dataset_digest"]), created_at=str(data["created_at"]),
                versions={str(k): str(v) for k, v in data["versions"].items()},
                method=dict(data["method"]), recipe=dict(data["recipe"]),
                grid=[float(v) for v in data["grid"]],
                fmr_empirical=[float(v) for v in data["fmr_empirical"]],
                fmr_low=[float(v) for v in data["fmr_low"]],
                fmr_high=[float(v) for v in data["fmr_high"]],
                tail=TailFit(*(float(v) for v in data["tail"])),
                bootstrap=[TailFit(*(float(v) for v in b)) for b in data["bootstrap"]],
                histogram=dict(data.get("histogram", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"{source} is not a calibration file: {exc}") from None
        lengths = {len(calibration.grid), len(calibration.fmr_empirical),
                   len(calibration.fmr_low), len(calibration.fmr_high)}
        if len(lengths) != 1 or not calibration.bootstrap:
            raise CalibrationError(f"{source} is not a calibration file: its curves differ in "
                                   "length or it has no bootstrap")
        return calibration

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CalibrationError(f"calibration file {path} does not exist") from None
        except (OSError, ValueError) as exc:
            raise CalibrationError(f"cannot read calibration file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise CalibrationError(f"{path} is not a calibration file")
        return cls.from_dict(data, str(path))

    def check_model(self, model_id: str, model_sha256: str, source: str) -> None:
        """Refuse a calibration made for another model (id or file)."""
        if (self.model_id, self.model_sha256) != (model_id, model_sha256):
            raise CalibrationError(
                f"{source} calibrates model {self.model_id!r} (sha256 "
                f"{self.model_sha256[:12]}…), not {model_id!r} (sha256 {model_sha256[:12]}…); "
                f"run 'lfr calibrate' for {model_id}")


def _rounded(values: list[float], digits: int) -> list[float]:
    return [round(float(v), digits) for v in values]
