"""The upper tail of an impostor score distribution as a generalised Pareto distribution.

Above a high threshold ``u`` (the top ``tail_fraction`` of impostor scores) the excesses
``y = s − u`` are modelled as GPD(σ, ξ) (Pickands–Balkema–de Haan), fitted by probability
weighted moments (Hosking & Wallis 1987: closed form, stable in small samples, valid for
ξ < 0.5). Then, for t ≥ u::

    FMR(t) = p_u · (1 + ξ (t − u) / σ)^(−1/ξ)        (p_u: the share of scores above u)

and its inverse gives the threshold for any false match rate in closed form. Below ``u`` the
empirical distribution is used as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: |ξ| below this is treated as 0 (the exponential tail), to keep the formulas stable.
_XI_ZERO = 1e-9


@dataclass(frozen=True, slots=True)
class TailFit:
    """A fitted tail: threshold ``u``, share ``p_u`` of scores above it, scale, shape."""

    u: float
    p_u: float
    sigma: float
    xi: float

    def fmr(self, t: float) -> float:
        """The modelled false match rate at score threshold ``t`` (for ``t >= u``)."""
        y = max(t - self.u, 0.0)
        if abs(self.xi) < _XI_ZERO:
            return self.p_u * math.exp(-y / self.sigma)
        base = 1.0 + self.xi * y / self.sigma
        if base <= 0.0:  # beyond the end point of a bounded (ξ < 0) tail
            return 0.0
        return self.p_u * math.pow(base, -1.0 / self.xi)

    def threshold(self, fmr: float) -> float:
        """The score threshold at which the modelled false match rate is ``fmr`` (< ``p_u``)."""
        if fmr >= self.p_u:
            return self.u
        ratio = fmr / self.p_u
        if abs(self.xi) < _XI_ZERO:
            return self.u - self.sigma * math.log(ratio)
        return self.u + self.sigma / self.xi * (math.pow(ratio, -self.xi) - 1.0)

    def as_list(self) -> list[float]:
        """``[u, p_u, sigma, xi]``, as the calibration file stores it."""
        return [self.u, self.p_u, self.sigma, self.xi]


def fit_tail(scores: npt.NDArray[np.floating], tail_fraction: float) -> TailFit:
    """Fit the GPD tail to the top ``tail_fraction`` of ``scores`` by PWM."""
    values = np.asarray(scores, np.float64)
    if values.size < 50:
        raise ValueError(f"a tail fit needs at least 50 scores, got {values.size}")
    if not 0.0 < tail_fraction < 0.5:
        raise ValueError(f"tail_fraction must be in (0, 0.5), got {tail_fraction}")
    u = float(np.quantile(values, 1.0 - tail_fraction))
    excess = np.sort(values[values > u] - u)
    m = excess.size
    if m < 10:
        raise ValueError(f"only {m} scores lie in the tail; use more scores or a larger fraction")
    b0 = float(excess.mean())
    b1 = float(np.sum(np.arange(m) / (m - 1) * excess) / m)
    a1 = b0 - b1  # E[Y (1 − F(Y))]
    denominator = b0 - 2.0 * a1
    if denominator <= 0 or a1 <= 0:  # degenerate (ξ ≥ 0.5 or all equal): exponential tail
        return TailFit(u, m / values.size, max(b0, 1e-9), 0.0)
    k = b0 / denominator - 2.0  # Hosking's k = −ξ
    sigma = 2.0 * b0 * a1 / denominator
    return TailFit(u, m / values.size, sigma, -k)
