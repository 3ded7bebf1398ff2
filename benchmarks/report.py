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


def _opt(value: dict[str, float] | None, fmt: str) -> str:
    """The median formatted, or a dash right-aligned to the same width."""
    med = _med(value)
    text = fmt.format(med)
    return text if med == med else "-".rjust(len(text))


def table(summaries: list[dict[str, Any]]) -> str:
    """A plain-text table of the medians (spread in brackets)."""
    head = (f"{'system':<19} {'scene':<14} {'fps':>22} {'det/frame':>9} {'TPIR':>5} "
            f"{'false':>5} {'frame p95':>9} {'overhead(run)':>13} {'(steady)':>9} "
            f"{'CPU ms/frame':>12}")
    lines = [head, "-" * len(head)]
    for s in summaries:
        fps = s["fps"]
        tpir = s["pass_tpir"]
        tpir_text = f"{tpir['median']:.2f}" if tpir else "-"
        ours = bool(s["stage_ms_per_frame"])  # peers: no stages, overhead not comparable
        lines.append(
            f"{s['system']:<19} {s['scene']:<14} "
            f"{fps['median']:>8.1f} [{fps['min']:.1f}-{fps['max']:.1f}] "
            f"{_med(s['detections_per_frame']):>9.2f} {tpir_text:>5} "
            f"{_med(s['false_alerts']):>5.0f} {_opt(s.get('frame_ms_p95'), '{:>7.0f}ms')} "
            f"{_opt(s['overhead_in_pipeline'] if ours else None, '{:>+13.1%}')} "
            f"{_opt(s['overhead_steady'] if ours else None, '{:>+9.1%}')} "
            f"{_opt(s.get('cpu_ms_per_frame'), '{:>12.1f}')}"
        )
    return "\n".join(lines)


def peer_ratios(summaries: list[dict[str, Any]], ours: str,
                peers: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per scene and peer: our median fps over the peer's, and both pass-level results."""
    by = {(s["system"], s["scene"]): s for s in summaries}
    out = []
    for (system, scene), s in by.items():
        if system not in peers or (ours, scene) not in by:
            continue
        o = by[(ours, scene)]
        out.append({
            "scene": scene, "peer": system,
            "fps_ratio": o["fps"]["median"] / s["fps"]["median"],
            "fps_ratio_worst_case": o["fps"]["min"] / s["fps"]["max"],
            "ours_fps": o["fps"]["median"], "peer_fps": s["fps"]["median"],
            "ours_pass_tpir": _med(o["pass_tpir"]), "peer_pass_tpir": _med(s["pass_tpir"]),
            "ours_false_alerts": _med(o["false_alerts"]),
            "peer_false_alerts": _med(s["false_alerts"]),
            "watchlisted_passes": o["watchlisted_passes"],
        })
    return out


def ratio_table(ratios: list[dict[str, Any]]) -> str:
    """Our fps as a multiple of each peer's, with pass-level TPIR and false alerts."""
    head = (f"{'scene':<14} {'peer':<19} {'x peer fps':>10} {'(worst)':>8} "
            f"{'TPIR ours/peer':>15} {'false ours/peer':>16}")
    lines = [head, "-" * len(head)]
    for r in ratios:
        lines.append(f"{r['scene']:<14} {r['peer']:<19} {r['fps_ratio']:>9.1f}x "
                     f"{r['fps_ratio_worst_case']:>7.1f}x "
                     f"{r['ours_pass_tpir']:>7.2f}/{r['peer_pass_tpir']:<7.2f} "
                     f"{r['ours_false_alerts']:>8.0f}/{r['peer_false_alerts']:<7.0f}")
    return "\n".join(lines)


def search_table(cases: list[dict[str, Any]]) -> str:
    """Latency, speed-up over exact NumPy, recall, build time and memory per source and size."""
    head = (f"{'source':<7} {'templates':>9} {'backend':<17} {'mode':<11} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'x numpy':>7} {'R@1 mated':>9} {'R@1 non-m':>9} {'build s':>8} "
            f"{'RSS MB':>7}")
    lines = [head, "-" * len(head)]
    for case in cases:
        for name, b in case["backends"].items():
            source = case.get("source", "uniform")
            if b.get("build_s") is None:
                lines.append(f"{source:<7} {case['size']:>9} {name:<17} not built: "
                             f"{b.get('not_built')}, about "
                             f"{b.get('build_s_extrapolated', 0):.0f} s for all")
                continue
            mode = b.get("info", {}).get("mode", "")
            lines.append(f"{source:<7} {case['size']:>9} {name:<17} {mode:<11} "
                         f"{b['p50_ms']:>8.3f} {b['p99_ms']:>8.3f} "
                         f"{b['speedup_vs_numpy_p50']:>7.2f} {b['recall1_mated']:>9.3f} "
                         f"{b['recall1_non_mated']:>9.3f} {b['build_s']:>8.2f} "
                         f"{b['rss_delta_mb']:>7.0f}")
    return "\n".join(lines)


def memory_table(memory: dict[str, Any] | None, soak: dict[str, Any] | None) -> str:
    """RSS per camera, per 10k templates, and the soak's growth."""
    lines = ["memory (RSS, MiB)"]
    if memory:
        for run in memory["cameras"]:
            lines.append(f"  {run['cameras']} camera(s): loaded {run['rss_loaded_mb']:.0f}, "
                         f"running median {run['rss_running_median_mb']:.0f}, max "
                         f"{run['rss_running_max_mb']:.0f} ({run['frames_processed']} frames)")
        lines.append(f"  per camera: {memory['rss_per_camera_mb']:.1f}; models + watchlist: "
                     f"{memory['rss_models_and_watchlist_mb']:.0f}")
        for plugin in memory["templates"]:
            for row in plugin["sizes"]:
                lines.append(f"  {plugin['factory']}: {row['templates']} templates "
                             f"({row['mode']}): +{row['rss_growth_mb']:.1f}, "
                             f"{row['mb_per_10k']:.1f} per 10k")
    if soak:
        g = soak["growth"]
        lines.append(f"  soak {soak['seconds'] / 60:.0f} min, 1 camera, "
                     f"{soak['frames_processed']} frames: after warm-up "
                     f"{g['rss_after_warmup_mb']:.0f} → end {g['rss_end_mb']:.0f} (max "
                     f"{g['rss_max_mb']:.0f}), slope {g['slope_mb_per_hour']:+.1f} MiB/h")
    return "\n".join(lines)


def sweep_table(sweep: dict[str, Any]) -> str:
    """Latency and recall@1 (mated) per library, M and ef, with the speed-up over NumPy."""
    lines = [f"graph settings at {sweep['size']} templates ({sweep['queries']} mated queries)",
             f"{'library':<8} {'M':>3} {'ef':>4} {'p50 ms':>8} {'R@1':>6} {'x numpy':>8}"]
    for r in sweep["rows"]:
        lines.append(f"{r['library']:<8} {r['M']:>3} {r['ef']:>4} {r['p50_ms']:>8.3f} "
                     f"{r['recall1_mated']:>6.3f} {r['speedup_vs_numpy']:>8.2f}")
    return "\n".join(lines)


def service_table(service: dict[str, Any]) -> str:
    """Alert latency to officers and ingest throughput per variant."""
    lines = [f"{'variant':<14} {'officers':>8} {'p50 ms':>8} {'p95 ms':>8} {'last p95':>9} "
             f"{'missing':>7}"]
    ingest = []
    for name, v in service["variants"].items():
        if "error" in v:
            lines.append(f"{name:<14} error: {v['error'][:80]}")
            continue
        for lat in v["latency"]:
            e, last = lat["every_delivery"] or {}, lat["last_officer_per_alert"] or {}
            lines.append(f"{name:<14} {lat['officers']:>8} {e.get('p50_ms', 0):>8.1f} "
                         f"{e.get('p95_ms', 0):>8.1f} {last.get('p95_ms', 0):>9.1f} "
                         f"{lat['missing']:>7}")
        i = v["ingest"]
        ingest.append(f"{name:<14} ingest {i['alerts_per_s']:.0f} alerts/s ({i['alerts']} in "
                      f"{i['seconds']:.1f} s, {i['concurrency']} concurrent, "
                      f"{i['errors']} errors)")
    return "\n".join(lines + ingest)


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
    ax.set_yscale("log")
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(scenes))], scenes,
                  fontsize=8)
    ax.set_ylabel("frames per second (median, min–max; log scale)")
    ax.set_title("Whole-pipeline throughput")
    ax.legend()

    ax = axes[1]
    base = next((s for s in systems
                 if by.get((s, scenes[0]), {}).get("stage_ms_per_frame")), systems[0])
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
    ours = [s for s in systems if by.get((s, scenes[0]), {}).get("stage_ms_per_frame")]
    for i, system in enumerate(ours):
        kinds = (("overhead_in_pipeline", "", "whole run"),
                 ("overhead_steady", "..", "steady state"),
                 ("overhead_vs_isolated", "//", "vs calls alone"))
        bar = 0.8 / (len(kinds) * len(ours))
        for k, (key, hatch, what) in enumerate(kinds):
            values = [100.0 * _med(by[(system, sc)][key]) if (system, sc) in by else 0.0
                      for sc in scenes]
            xs = [j + (len(kinds) * i + k) * bar for j in range(len(scenes))]
            ax.bar(xs, values, bar, hatch=hatch, label=f"{system}: {what}")
    ax.axhline(10.0, color="red", linestyle="--", linewidth=1, label="10% target")
    ax.set_xticks(range(len(scenes)), scenes)
    ax.set_ylabel("% over the sum of raw model calls")
    ax.set_title("Pipeline overhead (our pipeline)")
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def search_chart(path: Path, cases: list[dict[str, Any]], title: str) -> None:
    """Query latency p50 (p99 as a marker) and recall@1 against watchlist size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(n for c in cases for n in c["backends"]))
    sources = list(dict.fromkeys(c.get("source", "uniform") for c in cases))
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for source in sources:
        for name in names:
            built = [c for c in cases if c.get("source", "uniform") == source
                     and c["backends"].get(name, {}).get("build_s") is not None]
            sizes = [c["size"] for c in built]
            p50 = [c["backends"][name]["p50_ms"] for c in built]
            p99 = [c["backends"][name]["p99_ms"] for c in built]
            label = f"{name} ({source})"
            line = axes[0].plot(sizes, p50, marker="o", label=label)[0]
            axes[0].plot(sizes, p99, linestyle=":", marker="x", color=line.get_color())
            axes[1].plot(sizes, [min(c["backends"][name]["recall1_mated"],
                                     c["backends"][name]["recall1_non_mated"]) for c in built],
                         marker="o", label=label)
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("templates in the watchlist")
    axes[0].set_ylabel("ms per single query (p50 solid, p99 dotted)")
    axes[0].set_title("1:N search latency")
    axes[0].legend(fontsize=8)
    axes[1].axhline(0.99, color="red", linestyle="--", linewidth=1, label="0.99")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("templates in the watchlist")
    axes[1].set_ylabel("recall@1 against exact, the lower of mated and non-mated")
    axes[1].set_title("Recall@1")
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def service_chart(path: Path, service: dict[str, Any], title: str) -> None:
    """Alert → officer latency (p50, p95) per variant and officer count; ingest rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = {n: v for n, v in service["variants"].items() if "error" not in v}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    labels, p50, p95 = [], [], []
    for name, v in ok.items():
        for lat in v["latency"]:
            e = lat["every_delivery"] or {}
            labels.append(f"{name}\n{lat['officers']} officer(s)")
            p50.append(e.get("p50_ms", 0.0))
            p95.append(e.get("p95_ms", 0.0))
    xs = range(len(labels))
    axes[0].bar([x - 0.2 for x in xs], p50, 0.4, label="p50")
    axes[0].bar([x + 0.2 for x in xs], p95, 0.4, label="p95")
    axes[0].set_xticks(list(xs), labels, fontsize=8)
    axes[0].set_ylabel("ms from POST /ingest/alerts to the officer's WebSocket")
    axes[0].set_title("Alert latency")
    axes[0].legend()
    axes[1].bar(list(ok), [v["ingest"]["alerts_per_s"] for v in ok.values()], 0.5)
    axes[1].set_ylabel("alerts acknowledged per second")
    axes[1].set_title("Ingest throughput")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
