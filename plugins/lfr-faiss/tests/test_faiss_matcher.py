"""Behaviour of the faiss matcher in exact and quantised-scan mode, on real FAISS indexes."""

from __future__ import annotations

import threading

import faiss
import numpy as np
import pytest
from lfr_faiss import FaissMatcher, FaissOptions
from lfr_faiss.matcher import MIN_TRAINING

from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import Matcher
from lfr_framework.types import Templates

D = 128
#: Background entries that put the matcher past what the quantiser needs to train.
BACKGROUND = MIN_TRAINING + 200


def unit(rng: np.random.Generator, n: int, d: int) -> Templates:
    """``n`` random unit vectors of dimension ``d``."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


MODES = {"exact": FaissOptions(), "pq-fastscan": FaissOptions(exact_below=0)}


@pytest.fixture(params=sorted(MODES))
def matcher(request: pytest.FixtureRequest, rng: np.random.Generator) -> FaissMatcher:
    """A matcher in each mode, holding ``BACKGROUND`` one-template entries ``bg0…``."""
    m = FaissMatcher(D, MODES[request.param])
    for i, row in enumerate(unit(rng, BACKGROUND, D)):
        m.add(f"bg{i}", row[None, :])
    assert m.mode == request.param
    return m


def test_is_a_matcher(matcher: FaissMatcher) -> None:
    assert isinstance(matcher, Matcher)
    assert len(matcher) == BACKGROUND


def test_small_watchlists_are_searched_exactly_whatever_exact_below_says(
    rng: np.random.Generator,
) -> None:
    m = FaissMatcher(D, FaissOptions(exact_below=0))
    data = unit(rng, MIN_TRAINING - 1, D)
    for i, row in enumerate(data):
        m.add(f"e{i}", row[None, :])
    assert m.mode == "exact"
    m.add("last", unit(rng, 1, D))
    assert m.mode == "pq-fastscan"


def test_scores_are_exact_cosines(matcher: FaissMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 50, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    found = matcher.search(data, k=1)
    assert [r[0].entry_id for r in found] == [f"e{i}" for i in range(50)]
    assert all(abs(r[0].score - 1.0) < 1e-5 for r in found)
    queries = unit(rng, 10, D)
    for query, result in zip(queries, matcher.search(queries, k=3), strict=True):
        for candidate in result:
            if candidate.entry_id.startswith("e"):
                row = data[int(candidate.entry_id[1:])]
                assert candidate.score == pytest.approx(float(query @ row), abs=1e-6)


def test_top_one_agrees_with_exact_search(matcher: FaissMatcher,
                                          rng: np.random.Generator) -> None:
    """Mated probes (cosine 0.7 to an entry) and non-mated ones alike."""
    data = unit(rng, 800, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    sources = rng.integers(0, len(data), 200)
    mated = 0.7 * data[sources] + 0.714 * unit(rng, 200, D)
    probes = np.vstack([mated / np.linalg.norm(mated, axis=1, keepdims=True),
                        unit(rng, 200, D)]).astype(np.float32)
    exact = FaissMatcher(D, FaissOptions(exact_below=10**9))
    for i, row in enumerate(matcher._table.rows.live):  # the very same templates
        exact.add(matcher._table._row_entry[i], row[None, :])
    ours = [r[0].entry_id for r in matcher.search(probes)]
    truth = [r[0].entry_id for r in exact.search(probes)]
    agree = np.asarray(ours) == np.asarray(truth)
    assert agree[:200].mean() >= 0.99 and agree[200:].mean() >= 0.99


def test_several_templates_best_per_entry(matcher: FaissMatcher,
                                          rng: np.random.Generator) -> None:
    t = unit(rng, 6, D)
    matcher.add("multi", t[:4])
    matcher.add("single", t[4:5])
    for row in range(4):
        result = matcher.search(t[row : row + 1], k=2)[0]
        assert result[0].entry_id == "multi"
        assert result[0].score == pytest.approx(1.0, abs=1e-5)
        assert len({c.entry_id for c in result}) == 2


def test_removed_entries_are_never_found(matcher: FaissMatcher,
                                         rng: np.random.Generator) -> None:
    data = unit(rng, 20, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    assert matcher.remove("e3") is True
    assert matcher.remove("e3") is False
    assert "e3" not in {c.entry_id for c in matcher.search(data[3:4], k=50)[0]}
    assert matcher.search(data[4:5])[0][0].entry_id == "e4"


def test_removing_many_compacts_the_codes(rng: np.random.Generator) -> None:
    m = FaissMatcher(D, FaissOptions(exact_below=0, compact_fraction=0.1))
    data = unit(rng, BACKGROUND, D)
    for i, row in enumerate(data):
        m.add(f"e{i}", row[None, :])
    before = m._index.ntotal
    for i in range(0, BACKGROUND // 10 + 1):
        m.remove(f"e{i}")
    assert m._index.ntotal < before and m._removed_in_index == 0
    kept = list(range(BACKGROUND // 10 + 1, BACKGROUND))
    found = [r[0].entry_id for r in m.search(data[kept])]
    assert found == [f"e{i}" for i in kept]


def test_re_add_replaces_templates(matcher: FaissMatcher, rng: np.random.Generator) -> None:
    old, new = unit(rng, 2, D)
    matcher.add("x", old[None, :])
    matcher.add("x", new[None, :])
    top = matcher.search(new[None, :])[0][0]
    assert (top.entry_id, round(top.score, 4)) == ("x", 1.0)
    assert matcher.template_count == BACKGROUND + 1
    for candidate in matcher.search(old[None, :], k=5)[0]:  # the old template is gone
        assert candidate.entry_id != "x" or candidate.score < 0.5


def test_the_quantiser_is_retrained_as_the_watchlist_grows(rng: np.random.Generator) -> None:
    m = FaissMatcher(D, FaissOptions(exact_below=0))
    data = unit(rng, 4 * MIN_TRAINING, D)
    for i, row in enumerate(data):
        m.add(f"e{i}", row[None, :])
    assert m._trained_on == 4 * MIN_TRAINING  # trained on 1,024, then again on all 4,096
    assert [r[0].entry_id for r in m.search(data[::97])] == [
        f"e{i}" for i in range(0, len(data), 97)]


def test_destroy_zeroes_templates_and_codebooks(matcher: FaissMatcher) -> None:
    storage = matcher._table.rows._matrix
    index = matcher._index
    matcher.destroy()
    assert len(matcher) == 0 and matcher.template_count == 0
    assert not np.any(storage)
    if index is not None:
        assert index.ntotal == 0
        assert not np.any(faiss.vector_to_array(index.pq.centroids))
    assert matcher._index is None
    assert matcher.search(unit(np.random.default_rng(0), 2, D)) == [[], []]


def test_subquantizers_must_divide_the_dimension() -> None:
    with pytest.raises(ConfigurationError, match=r"subquantizers \(48\) must divide"):
        FaissMatcher(D, FaissOptions(subquantizers=48))


def test_searches_while_the_watchlist_changes(matcher: FaissMatcher,
                                              rng: np.random.Generator) -> None:
    churn = unit(rng, 40, D)
    errors: list[BaseException] = []
    wrong: list[str] = []

    def writer(worker: int) -> None:
        try:
            for _ in range(10):
                for j in range(worker * 10, worker * 10 + 10):
                    matcher.add(f"churn{j}", churn[j : j + 1])
                    top = matcher.search(churn[j : j + 1])[0][0]
                    if top.entry_id != f"churn{j}":
                        wrong.append(top.entry_id)
                for j in range(worker * 10, worker * 10 + 10):
                    matcher.remove(f"churn{j}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not wrong
    assert len(matcher) == BACKGROUND
