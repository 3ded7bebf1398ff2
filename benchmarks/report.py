"""Write the results: one JSON file, a PNG chart, and a table on the console."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STAGE_ORDER = ("decode", "detect", "quality_track", "align", "embed", "match", "alert")
REALTIME_FPS = 25.0


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Pretty JSON, keys in insertion order."""
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def _med(value: dict[str, float] | None) -> float:
    return value["median"] if value else float("nan")


def table(summaries: list[dict[str, Any]]) -> str:
    """A plain-text table of the medians (spread in brackets)."""
    head = (f"{'system':<10} {'scene':<14} {'fps':>16} {'det/frame':>9} {'TPIR':>9} "
            f"{'overhead(run)':>14} {'(steady)':>9} {'(vs alone)':>11}")
    lines = [head, "-" * len(head)]
    for s in summaries:
        fps = s["fps"]
        tpir = s["pass_tpir"]
        tpir_text = f"{tpir['median']:.2f}" if tpir else "-"
        lines.append(
            f"{s['system']:<10} {s['scene']:<14} "
            f"{fps['median']:>6.1f} [{fps['min']:.1f}-{fps['max']:.1f}] "
            f"{_med(s['detections_per_frame']):>9.2f} "
            f"{tpir_text:>9} "
            f"{_med(s['overhead_in_pipeline']):>+14.1%} {_med(s['overhead_steady']):>+9.1%} "
            f"{_med(s['overhead_vs_isolated']):>+11.1%}"
        )
    return "\n".join(lines)


def chart(path: Path, summaries: list[dict[str, Any]], title: str) -> None:
    """Three panels: fps per scene and system (median, min–max bars, the 25 fps line);
    ms per frame per stage of the first system; overheads."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(dict.fromkeys(s["system"] for s in summaries))
    scenes = list(dict.fromkeys(s["scene"] for s in summaries))
    by = {(s["system"], s["scene"]): s for s in summaries}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    width = 0.8 / len(systems)
    ax = axes[0]
    for i, system in enumerate(systems):
        xs, meds, lo, hi = [], [], [], []
        for j, scene in enumerate(scenes):
            s = by.get((system, scene))
            if s is None:
                continue
            xs.append(j + i * width)
            meds.append(s["fps"]["median"])
            lo.append(s["fps"]["median"] - s["fps"]["min"])
            hi.append(s["fps"]["max"] - s["fps"]["median"])
        ax.bar(xs, meds, width, yerr=[lo, hi], capsize=3, label=system)
    ax.axhline(REALTIME_FPS, color="red", linestyle="--", linewidth=1, label="25 fps")
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(scenes))], scenes)
    ax.set_ylabel("frames per second (median, min–max)")
    ax.set_title("Whole-pipeline throughput")
    ax.legend()

    ax = axes[1]
    base = systems[0]
    bottoms = [0.0] * len(scenes)
    for stage in STAGE_ORDER:
        values = [_med(by[(base, sc)]["stage_ms_per_frame"].get(stage))
                  if (base, sc) in by else 0.0 for sc in scenes]
        ax.bar(range(len(scenes)), values, 0.6, bottom=bottoms, label=stage)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.axhline(1000.0 / REALTIME_FPS, color="red", linestyle="--", linewidth=1,
               label="40 ms (25 fps)")
    ax.set_xticks(range(len(scenes)), scenes)
    ax.set_ylabel("ms per frame (median of runs)")
    ax.set_title(f"Per-stage cost, {base} (decode runs in its own thread)")
    ax.legend(fontsize=8)

    ax = axes[2]
    for i, system in enumerate(systems):
        kinds = (("overhead_in_pipeline", "", "whole run"),
                 ("overhead_steady", "..", "steady state"),
                 ("overhead_vs_isolated", "//", "vs calls alone"))
        bar = 0.8 / (len(kinds) * len(systems))
        for k, (key, hatch, what) in enumerate(kinds):
            values = [100.0 * _med(by[(system, sc)][key]) if (system, sc) in by else 0.0
                      for sc in scenes]
            xs = [j + (len(kinds) * i + k) * bar for j in range(len(scenes))]
            ax.bar(xs, values, bar, hatch=hatch, label=f"{system}: {what}")
    ax.axhline(10.0, color="red", linestyle="--", linewidth=1, label="10% target")
    ax.set_xticks(range(len(scenes)), scenes)
    ax.set_ylabel("% over the sum of raw model calls")
    ax.set_title("Pipeline overhead")
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
