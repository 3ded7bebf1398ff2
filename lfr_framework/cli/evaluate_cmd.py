"""``lfr evaluate``: TPIR / FPIR against threshold on folders of labelled photos."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.evaluation.identification import (
    DEFAULT_THRESHOLDS,
    identities,
    metrics,
    plot,
    run_evaluation,
)


def _thresholds(value: str | None) -> list[float]:
    if not value:
        return list(DEFAULT_THRESHOLDS)
    try:
        out = sorted(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers") from None
    if not out or any(not 0 <= t <= 1 for t in out):
        raise click.BadParameter("thresholds must lie between 0 and 1")
    return out


@click.command()
@click.option("--gallery", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="One sub-folder per watchlisted identity.")
@click.option("--probes", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="One sub-folder per identity; identities not in the gallery are non-mated.")
@click.option("--thresholds", default=None, help="Comma-separated thresholds (default 0.05…0.95).")
@click.option("--target-fpir", type=float, default=0.001, show_default=True)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a TPIR/FPIR chart (PNG).")
@click.option("--detector", default="mediapipe", show_default=True)
@click.option("--recogniser", default="arcface_onnx", show_default=True)
@click.option("--model", default=None, help="Recogniser model id (the recogniser's default).")
@click.option("--matcher", default="usearch", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON (default: a summary).")
def evaluate(
    gallery: Path, probes: Path, thresholds: str | None, target_fpir: float,
    plot_path: Path | None, detector: str, recogniser: str, model: str | None, matcher: str,
    as_json: bool,
) -> None:
    """Enrol GALLERY, search every probe, report TPIR/FPIR per threshold."""
    levels = _thresholds(thresholds)
    host = load_host()
    store = load_store(host)
    det = host.detectors.create(detector, {}, "detector", models=store)
    rec_options = {"model": model} if model else {}
    rec = host.recognisers.create(recogniser, rec_options, "recogniser", models=store)
    index = host.matchers.create(matcher, {}, "matcher", dimension=rec.dimension)
    probe_sets = identities(probes)
    total = 0
    for files in probe_sets.values():
        total += len(files)
    stderr = sys.stderr
    bar: Any
    with click.progressbar(length=total, label="searching probes", file=stderr) as bar:
        result = run_evaluation(gallery, probes, det, rec, index, progress=bar.update)
    index.destroy()
    summary = metrics(result, levels, target_fpir)
    summary["default_threshold"] = rec.default_threshold
    if plot_path is not None:
        plot(summary, plot_path)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    brief = {k: v for k, v in summary.items() if k not in ("probes",)}
    click.echo(json.dumps(brief, indent=2))
