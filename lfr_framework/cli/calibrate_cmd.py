"""``lfr calibrate``: a recogniser model's score calibration from real photos."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import click

from lfr_framework import __version__
from lfr_framework.cli.common import (
    build_detector_recogniser,
    component_choice,
    load_host,
    load_store,
)
from lfr_framework.config import load_config
from lfr_framework.evaluation.calibration import CalibrationSettings, build_calibration
from lfr_framework.evaluation.calibration_photos import default_calibration_folders
from lfr_framework.evaluation.identification import identities
from lfr_framework.plugins import PluginHost
from lfr_framework.thresholds.calibration import Calibration
from lfr_framework.thresholds.lookup import installed_path
from lfr_framework.thresholds.policy import check_target_fpir, fmr_for_fpir


def versions(host: PluginHost) -> dict[str, str]:
    """The framework's and every loaded plugin distribution's version, for provenance."""
    out = {"lfr-framework": __version__}
    for info in host.describe():
        if info.version:
            out[info.distribution] = info.version
    for dist in ("onnxruntime", "mediapipe", "opencv-contrib-python", "numpy"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _summary(calibration: Calibration, target: float) -> list[str]:
    lines = [f"{calibration.model_id}: {calibration.identities} identities, "
             f"{calibration.photos} photos, {calibration.total_pairs:,} impostor pairs "
             f"(clean {calibration.pairs['clean']:,}, degraded {calibration.pairs['degraded']:,})"]
    for size in (10, 100, 300, 1000, 2000):
        estimate, conservative = calibration.threshold_for_fmr(fmr_for_fpir(target, size))
        lines.append(f"  FPIR {target:g} with {size:>5} templates: threshold {conservative:.4f} "
                     f"(fit {estimate:.4f})")
    lines.append(f"  vouches for up to {calibration.max_comparisons(target):,} templates at "
                 f"FPIR {target:g}")
    return lines


@click.command()
@click.option("--photos", "folders", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder of identity sub-folders (one or more photos each); repeatable.")
@click.option("--default-set", is_flag=True,
              help="The project's calibration photos (fetched, sha256-pinned): what the "
                   "shipped calibrations are made from.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Use this deployment's detector and recogniser with their options.")
@click.option("--detector", default=None, help="Detector name (default: mediapipe).")
@click.option("--recogniser", default=None, help="Recogniser name (default: arcface_onnx).")
@click.option("--model", default=None, help="Recogniser model id (the recogniser's default).")
@click.option("--target-fpir", type=float, default=0.001, show_default=True,
              help="The FPIR the calibration must vouch for …")
@click.option("--watchlist-size", type=click.IntRange(1), default=100, show_default=True,
              help="… with a watchlist of this many templates (refused if too few people).")
@click.option("--resamples", type=click.IntRange(20, 2000), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the calibration here.")
@click.option("--install", is_flag=True,
              help="Install it as this machine's calibration of the model (used by default).")
def calibrate(folders: tuple[Path, ...], default_set: bool, config_path: Path | None,
              detector: str | None, recogniser: str | None, model: str | None,
              target_fpir: float, watchlist_size: int, resamples: int, seed: int,
              out: Path | None, install: bool) -> None:
    """Measure a recogniser's impostor scores on real photos and fit FMR(threshold)."""
    try:
        check_target_fpir(target_fpir)
    except Exception as exc:
        raise click.BadParameter(str(exc), param_hint="--target-fpir") from None
    sources = list(folders)
    if default_set:
        sources += default_calibration_folders()
    if not sources:
        raise click.UsageError("give --photos DIR (repeatable) or --default-set")
    if out is None and not install:
        raise click.UsageError("give --out FILE, --install, or both")
    for folder in sources:
        identities(folder)  # a clear error for a folder without identity sub-folders
    config = load_config(config_path) if config_path else None
    host = load_host()
    store = load_store(host)
    det_choice, rec_choice = component_choice(config, detector, recogniser, model)
    det, rec = build_detector_recogniser(host, store, det_choice, rec_choice)
    settings = CalibrationSettings(resamples=resamples, seed=seed, target_fpir=target_fpir,
                                   watchlist_size=watchlist_size)
    recipe: dict[str, Any] = {"detector": det_choice.name, "detector_options": det_choice.options,
                              "recogniser": rec_choice.name,
                              "recogniser_options": rec_choice.options}
    total = sum(len(files) for folder in sources for files in identities(folder).values())
    bar: Any
    with click.progressbar(length=total, label="embedding photos", file=sys.stderr) as bar:
        calibration = build_calibration(
            sources, det, rec, model_sha256=store.spec(rec.model_id).sha256, recipe=recipe,
            versions=versions(host), settings=settings, progress=bar.update)
    targets = ([out] if out else []) + ([installed_path(store, rec.model_id)] if install else [])
    for path in targets:
        calibration.save(path)
        click.echo(f"wrote {path}", err=True)
    for line in _summary(calibration, target_fpir):
        click.echo(line)
