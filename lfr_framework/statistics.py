"""Confidence intervals for rates: every rate the framework reports carries one.

Numpy only (the core has no SciPy): the Wilson score interval, and the Clopper–Pearson
("exact") interval from the beta quantiles found by bisection on the binomial tail.
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / trials`` (``None`` without trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _log_pmf(i: int, n: int, lp: float, lq: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * lp + (n - i) * lq)


def _log_sum(terms: list[float]) -> float:
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def _binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed over the shorter side of the distribution."""
    if k <= 0 or p >= 1.0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    if n - k + 1 <= k:  # the upper tail has fewer terms
        return min(1.0, math.exp(_log_sum([_log_pmf(i, n, lp, lq) for i in range(k, n + 1)])))
    below = math.exp(_log_sum([_log_pmf(i, n, lp, lq) for i in range(0, k)]))
    return min(1.0, max(0.0, 1.0 - below))


def _bisect(f: Callable[[float], float], target: float, increasing: bool) -> float:
    """The p in [0, 1] where the monotone ``f`` crosses ``target``."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (f(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(successes: int, trials: int,
                    confidence: float = 0.95) -> tuple[float, float] | None:
    """The exact (Clopper–Pearson) interval of ``successes / trials``."""
    if trials <= 0:
        return None
    alpha = 1.0 - confidence
    k, n = successes, trials
    lower = 0.0 if k == 0 else _bisect(lambda p: _binomial_sf(k, n, p), alpha / 2, True)
    upper = 1.0 if k == n else _bisect(lambda p: 1.0 - _binomial_sf(k + 1, n, p),
                                       alpha / 2, False)
    return lower, upper


def upper_bound_zero(trials: int, confidence: float = 0.95) -> float | None:
    """The one-sided upper bound of a rate when none of ``trials`` was a success:
    ``1 − (1 − confidence)^(1/n)``, about 3/n (the "rule of three")."""
    if trials <= 0:
        return None
    return 1.0 - math.pow(1.0 - confidence, 1.0 / trials)


def rate(successes: int, trials: int) -> dict[str, object]:
    """A rate as the framework reports it: value, 95% Clopper–Pearson interval, counts."""
    interval = clopper_pearson(successes, trials)
    return {
        "rate": successes / trials if trials else None,
        "ci95": list(interval) if interval is not None else None,
        "successes": successes,
        "trials": trials,
    }
