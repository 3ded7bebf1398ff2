"""Templates and queries for the 1:N search benchmark, from two sources.

- ``uniform``: random 128-d unit vectors; mated queries are copies of a random template
  rotated to cosine :data:`MATED_COSINE` (SFace gives 0.73 and 0.80 for obama2/obama3
  against obama), non-mated queries are fresh random vectors. No structure at all: the
  hardest case for any index.
- ``sface``: shaped like real SFace templates. 180 real templates are made from the pinned
  photos' faces (6 photos; each aligned crop clean and under 29 degradations: blur, noise,
  JPEG, darkening, small shifts, turns and rescaling of the alignment); gallery templates
  are drawn from a Gaussian with those templates' mean and covariance (so they share SFace's
  mean direction and spectrum; their pairwise cosines are reported beside the results),
  and each query adds a real degradation residual (a degraded template minus its clean
  one) to a gallery template (mated) or to a fresh draw (non-mated). Five real people cannot
  show between-person structure, so this is a stand-in, not a real gallery of 100k faces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
DIM = 128
#: Cosine between a mated query and the template it was made from (uniform source).
MATED_COSINE = 0.7
SOURCES = ("uniform", "sface")


def unit_vectors(rng: np.random.Generator, n: int, d: int = DIM) -> F32:
    """``n`` random unit vectors."""
    x = rng.standard_normal((n, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _normalised(x: npt.NDArray[Any]) -> F32:
    out: F32 = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def mated_queries(rng: np.random.Generator, base: F32, n: int) -> F32:
    """``n`` unit vectors at cosine :data:`MATED_COSINE` to random rows of ``base``."""
    rows = base[rng.integers(0, len(base), n)]
    noise = unit_vectors(rng, n, base.shape[1])
    noise -= np.sum(noise * rows, axis=1, keepdims=True) * rows  # orthogonal to the source
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    return _normalised(MATED_COSINE * rows + np.sqrt(1.0 - MATED_COSINE**2) * noise)


@dataclass(frozen=True, slots=True)
class RealTemplates:
    """Real SFace templates of the pinned photos: clean, and residuals of degradations."""

    clean: F32  # one per photo
    degraded: F32  # every degraded template
    photo_of: npt.NDArray[np.int64]  # index into ``clean`` of each degraded template

    @property
    def residuals(self) -> F32:
        """Degraded minus clean template of the same photo."""
        out: F32 = self.degraded - self.clean[self.photo_of]
        return out


def _degradations(crop: Any, rng: np.random.Generator) -> list[Any]:
    """29 degraded copies of one aligned 112×112 crop."""
    import cv2

    out = []
    for sigma in (0.8, 1.5, 2.5):
        out.append(cv2.GaussianBlur(crop, (0, 0), sigma))
    for quality in (60, 35, 20, 10):
        _, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
        out.append(cv2.imdecode(data, cv2.IMREAD_COLOR))
    for gain in (0.35, 0.6, 1.4):
        out.append(np.clip(crop.astype(np.float32) * gain, 0, 255).astype(np.uint8))
    for sd in (6.0, 12.0, 20.0):
        noisy = crop.astype(np.float32) + rng.normal(0.0, sd, crop.shape)
        out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    for size in (24, 32, 48):  # a small face upscaled back
        small = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        out.append(cv2.resize(small, (112, 112), interpolation=cv2.INTER_LINEAR))
    for angle, shift, scale in ((4, 0, 1.0), (-4, 0, 1.0), (8, 2, 1.0), (-8, -2, 1.0),
                                (0, 3, 1.0), (0, -3, 1.0), (0, 0, 1.06), (0, 0, 0.94),
                                (3, 1, 1.04), (-3, -1, 0.96), (6, -2, 1.03), (-6, 2, 0.97),
                                (0, 4, 1.08)):
        m = cv2.getRotationMatrix2D((56.0, 56.0), angle, scale)
        m[0, 2] += shift
        out.append(cv2.warpAffine(crop, m, (112, 112), borderMode=cv2.BORDER_REFLECT))
    return out


def real_templates(seed: int = 0) -> RealTemplates:
    """Detect, align and embed the pinned photos with the default plugins, then their
    degraded crops: 6 clean and 174 degraded templates, in memory only."""
    from benchmarks.degraded_photos import natives
    from benchmarks.lfr_system import DEFAULT_MODELS, default_host
    from lfr_framework.sample_photos import fetch_photos

    host = default_host()
    store = host.model_store()
    for model_id in DEFAULT_MODELS:
        store.fetch(model_id)
    rec = host.recognisers.create("arcface_onnx", {}, "recogniser", models=store)
    det = host.detectors.create("mediapipe", {}, "detector", models=store)
    rng = np.random.default_rng(seed)
    clean, degraded, photo_of = [], [], []
    for i, native in enumerate(natives(fetch_photos(), det, rec).values()):
        crop = rec.align(native.image, native.face)
        clean.append(native.template)
        copies = _degradations(crop, rng)
        degraded.append(rec.embed(copies))
        photo_of += [i] * len(copies)
    close = getattr(det, "close", None)
    if callable(close):
        close()
    return RealTemplates(np.stack(clean).astype(np.float32),
                         np.concatenate(degraded).astype(np.float32),
                         np.asarray(photo_of, np.int64))


def _impostor_cosines(real: RealTemplates) -> npt.NDArray[np.float64]:
    """Cosines of the clean photo pairs of different people (obama's three photos are
    one person)."""
    person = np.asarray([0, 0, 0, 1, 2, 3][: len(real.clean)] + [4] * max(0, len(
        real.clean) - 6))
    scores = real.clean @ real.clean.T
    upper = np.triu_indices(len(real.clean), 1)
    out: npt.NDArray[np.float64] = scores[upper][person[upper[0]] != person[upper[1]]]
    return out


def _fitted_gaussian(real: npt.NDArray[np.float64], impostors: npt.NDArray[np.float64],
                     rng: np.random.Generator) -> Any:
    """A sampler of unit vectors ``normalise(a·mean + N(0, cov + b·I))`` over the real
    templates' mean and covariance, with ``a`` and ``b`` chosen so that pairs of draws
    have the mean and spread of cosine of the real impostor pairs."""
    mean = real.mean(axis=0)
    cov = np.cov(real, rowvar=False)
    scale = float(np.trace(cov)) / DIM
    probe = np.random.default_rng(7).standard_normal((400, DIM))
    upper = np.triu_indices(400, 1)
    best: tuple[float, float, float] = (np.inf, 1.0, 0.0)
    for a in np.linspace(0.0, 1.0, 21):
        for b in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
            factor = np.linalg.cholesky(cov + (b * scale + 1e-9) * np.eye(DIM))
            x = _normalised(a * mean + probe @ factor.T)
            pairs = (x @ x.T)[upper]
            err = (pairs.mean() - impostors.mean()) ** 2 + (pairs.std() - impostors.std()) ** 2
            if err < best[0]:
                best = (err, float(a), float(b))
    _, a, b = best
    factor = np.linalg.cholesky(cov + (b * scale + 1e-9) * np.eye(DIM))

    def draw(n: int) -> F32:
        return _normalised(a * mean + rng.standard_normal((n, DIM)) @ factor.T)

    return draw


@dataclass(slots=True)
class SearchData:
    """A gallery and its queries: ``mated`` first, then non-mated."""

    gallery: F32
    queries: F32
    mated: int
    source: str
    describe: dict[str, Any]


def make_data(source: str, size: int, mated: int, non_mated: int, seed: int,
              real: RealTemplates | None = None) -> SearchData:
    """The gallery and queries of one case from ``source``."""
    rng = np.random.default_rng([seed, size])
    if source == "uniform":
        gallery = unit_vectors(rng, size)
        queries = np.vstack([mated_queries(rng, gallery, mated), unit_vectors(rng, non_mated)])
        return SearchData(gallery, queries, mated, source,
                          {"mated_cosine_to_source": MATED_COSINE})
    if source != "sface" or real is None:
        raise ValueError(f"unknown template source {source!r}; known: {', '.join(SOURCES)}")
    everything = np.vstack([real.clean, real.degraded]).astype(np.float64)
    impostors = _impostor_cosines(real)
    draw = _fitted_gaussian(everything, impostors, rng)

    gallery = draw(size)
    residuals = real.residuals
    pick = rng.integers(0, len(residuals), mated + non_mated)
    sources = np.vstack([gallery[rng.integers(0, size, mated)], draw(non_mated)])
    queries = _normalised(sources + residuals[pick])
    sample = gallery[: min(size, 2000)]
    pairs = (sample @ sample.T)[np.triu_indices(len(sample), 1)]
    return SearchData(gallery, queries, mated, source, {
        "real_templates": len(everything),
        "gallery_pair_cosine": {"mean": float(pairs.mean()), "sd": float(pairs.std()),
                                "p99": float(np.percentile(pairs, 99))},
        "real_impostor_pair_cosine": {"pairs": len(impostors), "mean": float(impostors.mean()),
                                      "sd": float(impostors.std()),
                                      "max": float(impostors.max())},
        "mated_query_cosine_to_source": {
            "median": float(np.median(np.sum(queries[:mated] * sources[:mated], axis=1))),
            "min": float(np.min(np.sum(queries[:mated] * sources[:mated], axis=1)))},
    })
