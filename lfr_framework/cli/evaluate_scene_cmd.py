"""``lfr evaluate-scene``: pass-level TPIR, false alerts and time to alert on a scene video."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.config import load_config
from lfr_framework.evaluation.scene_runner import load_truth, run_scene, summary, watchlist_entries


@click.command("evaluate-scene")
@click.option("--scene", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Scene video (rendered by lfr_framework.evaluation.scenes.render_scene).")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ground-truth JSON (default: SCENE with .truth.json).")
@click.option("--watchlist", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="One sub-folder per entry, named after the identity in the ground truth.")
@click.option("--threshold", "thresholds", type=click.FloatRange(0.0, 1.0, min_open=True),
              multiple=True, help="Match threshold; repeat for several runs (default: the "
              "model's default, or the --config file's).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Deployment TOML whose detector, recogniser, matcher and "
              "pipeline settings to use (its cameras and sinks are ignored).")
@click.option("--cooldown", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Alert cool-down in seconds (0: every pass of a person can alert).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the full JSON, per-pass outcomes included.")
def evaluate_scene(scene: Path, truth: Path | None, watchlist: Path, thresholds: tuple[float, ...],
                   config_path: Path | None, cooldown: float, as_json: bool) -> None:
    """Run the pipeline over SCENE and score its alerts pass by pass against the truth."""
    if not scene.is_file():
        raise click.BadParameter(f"{scene} does not exist", param_hint="--scene")
    ground = load_truth(scene, truth)
    entries = watchlist_entries(watchlist)
    base = load_config(config_path) if config_path is not None else None
    host = load_host()
    store = load_store(host)
    runs = []
    for threshold in thresholds or (None,):
        run = run_scene(scene, ground, watchlist, host, store, base=base, threshold=threshold,
                        cooldown_s=cooldown, announce=lambda m: click.echo(m, err=True))
        runs.append(summary(ground, run, entries))
    out = {
        "scene": str(scene),
        "watchlist": entries,
        "frames": ground.frame_count,
        "fps": ground.spec.fps,
        "cooldown_s": cooldown,
        "runs": runs if as_json else [{k: v for k, v in r.items() if k != "passes"}
                                      for r in runs],
    }
    click.echo(json.dumps(out, indent=2))
