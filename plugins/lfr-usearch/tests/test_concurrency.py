"""Several threads adding, removing and searching at once."""

from __future__ import annotations

import threading

import numpy as np
from lfr_usearch import UsearchMatcher, UsearchOptions

from lfr_framework.types import Templates

D = 64


def unit(rng: np.random.Generator, n: int, d: int) -> Templates:
    """``n`` random unit vectors of dimension ``d``."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _hammer(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    stable = unit(rng, 50, D)
    for i, row in enumerate(stable):
        matcher.add(f"stable{i}", row[None, :])
    churn = unit(rng, 40, D)
    errors: list[BaseException] = []
    wrong: list[str] = []
    start = threading.Barrier(6)

    def writer(worker: int) -> None:
        try:
            start.wait()
            mine = range(worker * 10, worker * 10 + 10)
            for _ in range(30):
                for j in mine:
                    matcher.add(f"churn{j}", churn[j : j + 1])
                for j in mine:
                    top = matcher.search(churn[j : j + 1])[0][0]
                    if top.entry_id != f"churn{j}":
                        wrong.append(f"writer {worker} lost churn{j}: got {top.entry_id}")
                for j in mine:
                    if not matcher.remove(f"churn{j}"):
                        wrong.append(f"writer {worker}: churn{j} was not present")
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait()
            for _ in range(200):
                results = matcher.search(stable, k=3)
                for i, result in enumerate(results):
                    if result[0].entry_id != f"stable{i}" or abs(result[0].score - 1.0) > 1e-5:
                        wrong.append(f"reader: stable{i} not found first")
                    if len({c.entry_id for c in result}) != len(result):
                        wrong.append("reader: an entry appeared twice")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert wrong == []
    assert len(matcher) == 50


def test_concurrent_exact(rng: np.random.Generator) -> None:
    _hammer(UsearchMatcher(D), rng)


def test_concurrent_hnsw(rng: np.random.Generator) -> None:
    _hammer(UsearchMatcher(D, UsearchOptions(exact_below=0)), rng)
