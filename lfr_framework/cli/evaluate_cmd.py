"""``lfr evaluate``: what a deployment would do on folders of labelled photos, reported at the
threshold its policy picks for the gallery's size."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from lfr_framework.cli.calibrate_cmd import versions
from lfr_framework.cli.common import (
    build_detector_recogniser,
    component_choice,
    load_host,
    load_store,
)
from lfr_framework.config import DeploymentConfig, DeploymentInfo, load_config
from lfr_framework.evaluation.calibration_photos import dataset_digest
from lfr_framework.evaluation.identification import identities, run_evaluation
from lfr_framework.evaluation.metrics import DEFAULT_THRESHOLDS, summarise
from lfr_framework.evaluation.plot import plot
from lfr_framework.pipeline.quality import QualityGate, QualitySettings
from lfr_framework.thresholds.lookup import find_calibration
from lfr_framework.thresholds.policy import ThresholdPolicy, operating_point


def _thresholds(value: str | None) -> list[float]:
    if not value:
        return list(DEFAULT_THRESHOLDS)
    try:
        out = sorted(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers") from None
    if not out or any(not -1 <= t <= 1 for t in out):
        raise click.BadParameter("thresholds must lie between -1 and 1")
    return out


def _policy(info: DeploymentInfo | None, target_fpir: float | None,
            threshold: float | None) -> ThresholdPolicy:
    base = info.policy() if info else ThresholdPolicy()
    return ThresholdPolicy(target_fpir if target_fpir is not None else base.target_fpir,
                           threshold if threshold is not None else base.fixed_threshold)


@click.command()
@click.option("--gallery", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="One sub-folder per watchlisted identity.")
@click.option("--probes", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="One sub-folder per identity; identities not in the gallery are non-mated.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Evaluate this deployment's detector, recogniser, quality gate and threshold "
                   "policy (default: a new deployment's).")
@click.option("--target-fpir", type=float, default=None,
              help="Override the policy's target FPIR per passer-by.")
@click.option("--threshold", type=float, default=None,
              help="Experts: a fixed threshold instead of the policy's.")
@click.option("--thresholds", default=None, help="Comma-separated extra rows (default 0.05…0.95).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the charts (rates, DET, score histograms) as a PNG.")
@click.option("--detector", default=None, help="Detector name (default: the deployment's).")
@click.option("--recogniser", default=None, help="Recogniser name (default: the deployment's).")
@click.option("--model", default=None, help="Recogniser model id.")
@click.option("--include-paths", is_flag=True,
              help="Add every probe's path, identity and top candidate (personal data: for a "
                   "force's own use only).")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON (default: a summary).")
def evaluate(
    gallery: Path, probes: Path, config_path: Path | None, target_fpir: float | None,
    threshold: float | None, thresholds: str | None, plot_path: Path | None,
    detector: str | None, recogniser: str | None, model: str | None, include_paths: bool,
    as_json: bool,
) -> None:
    """Enrol GALLERY, search every probe, report TPIR/FPIR at the operating point."""
    levels = _thresholds(thresholds)
    config: DeploymentConfig | None = load_config(config_path) if config_path else None
    policy = _policy(config.deployment if config else None, target_fpir, threshold)
    host = load_host()
    store = load_store(host)
    det_choice, rec_choice = component_choice(config, detector, recogniser, model)
    det, rec = build_detector_recogniser(host, store, det_choice, rec_choice)
    matcher_choice = config.matcher if config else DeploymentConfig.model_fields["matcher"].default
    index = host.matchers.create(matcher_choice.name, matcher_choice.options, "matcher.options",
                                 dimension=rec.dimension)
    gate = QualityGate(config.quality if config else QualitySettings())
    total = sum(len(files) for files in identities(probes).values())
    bar: Any
    try:
        with click.progressbar(length=total, label="searching probes", file=sys.stderr) as bar:
            result = run_evaluation(gallery, probes, det, rec, index, gate, progress=bar.update,
                                    warn=lambda m: click.echo(f"\nwarning: {m}", err=True))
    finally:
        index.destroy()
    found = find_calibration(host, store, rec.model_id,
                             config.deployment.calibration if config else None)
    point = operating_point(policy, found.calibration if found else None, model_id=rec.model_id,
                            entries=result.gallery_entries, templates=result.gallery_templates)
    provenance = {
        "versions": versions(host), "model_sha256": store.spec(rec.model_id).sha256,
        "calibration_source": found.source if found else None,
        "detector": det_choice.model_dump(), "recogniser": rec_choice.model_dump(),
        "quality": gate.settings.model_dump(),
        "policy": {"target_fpir": policy.target_fpir, "fixed_threshold": policy.fixed_threshold},
        "dataset_digest": dataset_digest(result.photo_hashes),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    summary = summarise(result, point, levels, provenance, include_paths)
    if plot_path is not None:
        plot(summary, plot_path)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    brief = {k: summary[k] for k in ("model_id", "gallery", "probes", "searches",
                                     "operating_point", "rank1_accuracy", "warnings")}
    click.echo(json.dumps(brief, indent=2))
    for warning in summary["warnings"]:
        click.echo(f"warning: {warning}", err=True)
