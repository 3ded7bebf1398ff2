"""Behaviour of the usearch matcher in exact and HNSW mode."""

from __future__ import annotations

import numpy as np
import pytest
from lfr_usearch import UsearchMatcher, UsearchOptions

from lfr_framework.interfaces import Matcher
from lfr_framework.types import Templates

D = 128


def unit(rng: np.random.Generator, n: int, d: int) -> Templates:
    """``n`` random unit vectors of dimension ``d``."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x
MODES = {"exact": UsearchOptions(), "hnsw": UsearchOptions(exact_below=0)}


@pytest.fixture(params=sorted(MODES))
def matcher(request: pytest.FixtureRequest) -> UsearchMatcher:
    """An empty matcher in each search mode."""
    m = UsearchMatcher(D, MODES[request.param])
    return m


def test_is_a_matcher(matcher: UsearchMatcher) -> None:
    assert isinstance(matcher, Matcher)


def test_own_template_scores_one(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 50, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    assert len(matcher) == 50
    results = matcher.search(data[[7, 31]], k=1)
    assert [r[0].entry_id for r in results] == ["e7", "e31"]
    assert all(abs(r[0].score - 1.0) < 1e-5 for r in results)


def test_mode_follows_exact_below(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    matcher.add("a", unit(rng, 1, D))
    expected = "hnsw" if matcher.options.exact_below == 0 else "exact"
    assert matcher.mode == expected


def test_scores_are_cosine_similarity(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    a, b = unit(rng, 2, D)
    matcher.add("a", a[None, :])
    matcher.add("b", b[None, :])
    query = (3.0 * a)[None, :]  # not unit length: the matcher normalises
    result = matcher.search(query, k=2)[0]
    assert [c.entry_id for c in result] == ["a", "b"]
    assert result[1].score == pytest.approx(float(a @ b), abs=1e-5)


def test_several_templates_best_per_entry(
    matcher: UsearchMatcher, rng: np.random.Generator
) -> None:
    t = unit(rng, 6, D)
    matcher.add("multi", t[:4])
    matcher.add("single", t[4:5])
    assert len(matcher) == 2
    assert matcher.template_count == 5
    for row in range(4):
        result = matcher.search(t[row : row + 1], k=5)[0]
        assert [c.entry_id for c in result] == ["multi", "single"]
        assert result[0].score == pytest.approx(1.0, abs=1e-5)
    # A query nearer another template of "multi" gets that template's score.
    best = float(np.max(t[:4] @ t[5]))
    result = matcher.search(t[5:6], k=2)[0]
    scores = {c.entry_id: c.score for c in result}
    assert scores["multi"] == pytest.approx(best, abs=1e-5)


def test_k_distinct_entries_even_when_one_entry_dominates(
    matcher: UsearchMatcher, rng: np.random.Generator
) -> None:
    base = unit(rng, 1, D)[0]
    near = base + 0.05 * unit(rng, 10, D)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    matcher.add("dominant", near.astype(np.float32))
    for i, row in enumerate(unit(rng, 20, D)):
        matcher.add(f"other{i}", row[None, :])
    result = matcher.search(base[None, :], k=3)[0]
    assert len(result) == 3
    assert result[0].entry_id == "dominant"
    assert len({c.entry_id for c in result}) == 3
    assert result[0].score >= result[1].score >= result[2].score


def test_remove_makes_entry_unfindable(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 10, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", np.stack([row, data[(i + 1) % 10]]))
    assert matcher.remove("e3") is True
    assert matcher.remove("e3") is False
    assert matcher.remove("never") is False
    assert len(matcher) == 9
    assert matcher.template_count == 18
    results = matcher.search(data, k=10)
    for result in results:
        assert "e3" not in {c.entry_id for c in result}
        assert len(result) == 9
    # The others are still found with their own templates.
    assert matcher.search(data[5:6])[0][0].entry_id in {"e5", "e4"}


def test_re_add_replaces_templates(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    old, new, other = unit(rng, 3, D)
    matcher.add("x", old[None, :])
    matcher.add("y", other[None, :])
    matcher.add("x", new[None, :])
    assert len(matcher) == 2
    assert matcher.template_count == 2
    top = matcher.search(new[None, :])[0][0]
    assert (top.entry_id, round(top.score, 4)) == ("x", 1.0)
    scores = {c.entry_id: c.score for c in matcher.search(old[None, :], k=2)[0]}
    assert scores["x"] == pytest.approx(float(old @ new), abs=1e-5)


def test_k_larger_than_watchlist(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 3, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    result = matcher.search(data[:1], k=50)[0]
    assert len(result) == 3
    assert result[0].entry_id == "e0"
    assert [c.score for c in result] == sorted((c.score for c in result), reverse=True)


def test_empty_index_returns_empty_lists(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    assert len(matcher) == 0
    assert matcher.search(unit(rng, 3, D), k=5) == [[], [], []]
    assert matcher.search(np.zeros((0, D), dtype=np.float32)) == []
    matcher.add("a", unit(rng, 1, D))  # no query rows against a non-empty watchlist
    assert matcher.search(np.zeros((0, D), dtype=np.float32)) == []


def test_destroy_empties_and_zeroes(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 20, D)
    for i, row in enumerate(data):
        matcher.add(f"e{i}", row[None, :])
    storage = matcher._table.rows._matrix  # the buffer that held the templates
    matcher.destroy()
    assert len(matcher) == 0
    assert matcher.template_count == 0
    assert not np.any(storage)
    assert matcher._index is None
    assert matcher.search(data[:2]) == [[], []]
    # Still usable afterwards, as an empty matcher.
    matcher.add("again", data[:1])
    assert matcher.search(data[:1])[0][0].entry_id == "again"


def test_removal_and_growth_zero_released_rows(rng: np.random.Generator) -> None:
    m = UsearchMatcher(D)
    data = unit(rng, 100, D)  # more than the initial capacity: the buffer grows
    first_buffer = m._table.rows._matrix
    for i, row in enumerate(data):
        m.add(f"e{i}", row[None, :])
    assert not np.any(first_buffer)
    for i in range(100):
        m.remove(f"e{i}")
    assert not np.any(m._table.rows._matrix)


def test_caller_array_not_modified(matcher: UsearchMatcher, rng: np.random.Generator) -> None:
    data = unit(rng, 2, D) * 2.0
    before = data.copy()
    matcher.add("a", data)
    matcher.search(data)
    np.testing.assert_array_equal(data, before)


def test_hnsw_recall_on_5k_random_vectors(rng: np.random.Generator) -> None:
    """HNSW with the default graph settings finds the exact best entry for ≥ 99% of probes."""
    n, d = 5000, 512
    data = unit(rng, n, d)
    m = UsearchMatcher(d, UsearchOptions(exact_below=0))
    for i in range(n):
        m.add(f"e{i}", data[i : i + 1])
    assert m.mode == "hnsw"
    sources = rng.integers(0, n, 500)
    probes = 0.7 * data[sources] + 0.714 * unit(rng, 500, d)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    truth = np.argmax(probes @ data.T, axis=1)
    found = [r[0].entry_id for r in m.search(probes.astype(np.float32))]
    recall = np.mean([f == f"e{t}" for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.99
    # Own templates are found exactly.
    own = m.search(data[:200])
    assert np.mean([r[0].entry_id == f"e{i}" for i, r in enumerate(own)]) >= 0.99


def test_graph_built_when_watchlist_crosses_exact_below(rng: np.random.Generator) -> None:
    m = UsearchMatcher(D, UsearchOptions(exact_below=30))
    data = unit(rng, 40, D)
    for i in range(29):
        m.add(f"e{i}", data[i : i + 1])
    assert m.mode == "exact"
    m.add("e29", data[29:30])
    assert m.mode == "hnsw"
    for i in range(30, 40):
        m.add(f"e{i}", data[i : i + 1])
    assert [r[0].entry_id for r in m.search(data)] == [f"e{i}" for i in range(40)]
    for i in range(15):
        m.remove(f"e{i}")
    assert m.mode == "exact"  # below the threshold again: exact search
    assert [r[0].entry_id for r in m.search(data[15:])] == [f"e{i}" for i in range(15, 40)]


def test_top_one_is_the_entry_of_the_best_template(
    matcher: UsearchMatcher, rng: np.random.Generator
) -> None:
    t = unit(rng, 30, D)
    matcher.add("multi", t[:10])
    for i in range(10, 30):
        matcher.add(f"single{i}", t[i : i + 1])
    queries = t + 0.3 * unit(rng, 30, D)
    exact = queries / np.linalg.norm(queries, axis=1, keepdims=True) @ t.T
    owner = ["multi"] * 10 + [f"single{i}" for i in range(10, 30)]
    for result, scores in zip(matcher.search(queries.astype(np.float32), k=1), exact,
                              strict=True):
        assert len(result) == 1
        assert result[0].entry_id == owner[int(np.argmax(scores))]
        assert result[0].score == pytest.approx(float(scores.max()), abs=1e-5)


def test_templates_added_after_the_graph_exists_are_found_at_once(
    rng: np.random.Generator,
) -> None:
    m = UsearchMatcher(D, UsearchOptions(exact_below=20, bulk_add=8))
    data = unit(rng, 60, D)
    for i in range(20):
        m.add(f"e{i}", data[i : i + 1])
    assert m.mode == "hnsw"
    assert m._index is not None and len(m._index) == 20  # one bulk build
    for i in range(20, 27):  # below bulk_add: waiting, scored exactly
        m.add(f"e{i}", data[i : i + 1])
        assert m.search(data[i : i + 1])[0][0].entry_id == f"e{i}"
    assert len(m._index) == 20
    m.remove("e22")  # a pending template goes without touching the graph
    assert "e22" not in {c.entry_id for c in m.search(data[22:23], k=30)[0]}
    m.add("e27", data[27:28])
    m.add("e28", data[28:29])  # the eighth pending template: one bulk insert
    assert len(m._index) == 28 and not m._pending
    present = [i for i in range(29) if i != 22]
    assert [r[0].entry_id for r in m.search(data[present])] == [f"e{i}" for i in present]


@pytest.mark.parametrize("dtype", ["i8", "f16", "f32"])
def test_graph_scores_are_exact_float32_whatever_its_dtype(
    rng: np.random.Generator, dtype: str
) -> None:
    m = UsearchMatcher(D, UsearchOptions(exact_below=0, dtype=dtype))  # type: ignore[arg-type]
    data = unit(rng, 200, D)
    for i, row in enumerate(data):
        m.add(f"e{i}", row[None, :])
    queries = unit(rng, 20, D)
    for query, result in zip(queries, m.search(queries, k=3), strict=True):
        for candidate in result:
            row = int(candidate.entry_id[1:])
            assert candidate.score == pytest.approx(float(query @ data[row]), abs=1e-6)
