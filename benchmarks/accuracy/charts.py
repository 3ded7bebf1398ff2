"""PNG charts of the accuracy results (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def photo_scores(photos: dict[str, Any], threshold: float, path: Path, title: str) -> None:
    """Mated and impostor cosine scores per condition, with the default threshold."""
    rows = photos["conditions"]
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, row in enumerate(rows):
        ax.scatter(row["impostor_scores"], [i - 0.12] * len(row["impostor_scores"]), s=8,
                   color="tab:red", alpha=0.5, label="non-mated pairs" if i == 0 else None)
        ax.scatter(row["mated_scores"], [i + 0.12] * len(row["mated_scores"]), s=8,
                   color="tab:blue", alpha=0.7, label="mated pairs" if i == 0 else None)
        ax.text(1.0, i, f"det {row['detected']}/{row['faces']}", fontsize=7, va="center")
    ax.axvline(threshold, color="grey", linestyle="--", label=f"default threshold {threshold}")
    ax.set_yticks(range(len(rows)), [r["condition"] for r in rows], fontsize=7)
    ax.set_xlim(-0.3, 1.12)
    ax.set_xlabel("cosine similarity to a clean photo of another picture")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def detector_bars(detectors: dict[str, Any], path: Path, title: str) -> None:
    """Pass-level TPIR per face-height band for each detector setting."""
    names = list(detectors)
    bands = [f"{b['band_px'][0]}–{b['band_px'][1] if b['band_px'][1] < 10_000 else '∞'}"
             for b in detectors[names[0]]["by_size"]]
    fig, ax = plt.subplots(figsize=(12, 4.5))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [b["pass_tpir"] or 0.0 for b in detectors[name]["by_size"]]
        ax.bar([j + i * width for j in range(len(bands))], values, width,
               label=f"{name} (all {detectors[name]['pass_tpir']:.2f}, "
                     f"{detectors[name]['fps']:.0f} fps)")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(bands))], bands)
    ax.set_xlabel("face height in the frame (px)")
    ax.set_ylabel("pass-level TPIR")
    ax.set_ylim(0, 1.05)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
