"""Charts of an evaluation summary: rates against threshold, the DET curve, score histograms."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from lfr_framework.errors import LFRError


def plot(summary: dict[str, Any], path: Path) -> None:
    """Write the three charts of ``summary`` as one PNG (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LFRError("--plot needs matplotlib: pip install 'lfr-framework[plot]'") from None
    op = summary["operating_point"]
    fig, (rates, det, hist) = plt.subplots(1, 3, figsize=(15, 4.2))
    rows = summary["thresholds"]
    xs = [r["threshold"] for r in rows]
    rates.plot(xs, [r["tpir"] for r in rows], label="TPIR (mated, rank 1, ≥ threshold)")
    rates.plot(xs, [r["fpir"] for r in rows], label="FPIR (non-mated searches)")
    rates.axvline(op["threshold"], linestyle="--", color="grey",
                  label=f"operating threshold {op['threshold']:.3f}")
    rates.set_xlabel("threshold (cosine similarity)")
    rates.set_ylabel("rate")
    rates.legend(fontsize=7)
    curve = summary["det"]
    points = [(f, n) for f, n in zip(curve["fpir"], curve["fnir"], strict=True)
              if f is not None and n is not None and f > 0]
    if points:
        det.plot([p[0] for p in points], [p[1] for p in points], marker=".")
        det.set_xscale("log")
    if op["fpir"] is not None and op["tpir"] is not None:
        det.scatter([max(op["fpir"], 1e-4)], [1 - op["tpir"]], color="red", zorder=3,
                    label="operating point")
        det.legend(fontsize=7)
    det.set_xlabel("FPIR")
    det.set_ylabel("FNIR")
    det.set_title("DET")
    edges = summary["histograms"]["edges"]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    width = edges[1] - edges[0]
    hist.bar(centres, summary["histograms"]["genuine"], width=width, alpha=0.6,
             label="genuine (mated, correct top-1)")
    hist.bar(centres, summary["histograms"]["impostor"], width=width, alpha=0.6,
             label="impostor (non-mated top-1)")
    hist.axvline(op["threshold"], linestyle="--", color="grey")
    hist.set_xlabel("score")
    hist.legend(fontsize=7)
    fig.suptitle(f"{summary['model_id']}: TPIR {op['tpir']} / FPIR {op['fpir']} at "
                 f"{op['threshold']:.3f} ({op['policy']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
