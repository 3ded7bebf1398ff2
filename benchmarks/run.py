"""Run the benchmarks: ``python -m benchmarks.run --fast`` (a few minutes on 2 cores) or
``--full``. Writes ``benchmarks/results/<mode>.json`` and ``<mode>.png``."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import describe, machine_info
from benchmarks.profiling import profile_run
from benchmarks.records import RunResult, summarise
from benchmarks.report import chart, table, write_json
from benchmarks.scenes import (
    WATCHLIST,
    RenderedScene,
    SceneCase,
    render,
    write_watchlist,
)
from benchmarks.systems import SYSTEMS, System

WATCHLIST_IDENTITIES = {identity for _, identity in WATCHLIST.values()}
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True, slots=True)
class Mode:
    """How much to run."""

    name: str
    faces: tuple[int, ...]
    duration_s: float
    runs: int
    systems: tuple[str, ...]
    profile: bool


MODES = {
    "fast": Mode("fast", (1, 5, 20), 6.0, 3, ("lfr", "lfr-ort1t"), True),
    "full": Mode("full", (1, 5, 20), 16.0, 5, ("lfr", "lfr-ort1t"), True),
}


def parse_args(argv: list[str]) -> tuple[Mode, argparse.Namespace]:
    """The mode, with any overrides applied."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--fast", action="store_true", help="the quick set (make bench)")
    group.add_argument("--full", action="store_true", help="everything (make bench-full)")
    parser.add_argument("--runs", type=int, help="repetitions per scene and system")
    parser.add_argument("--faces", help="comma-separated faces in view, e.g. 1,5,20")
    parser.add_argument("--duration", type=float, help="scene length in seconds")
    parser.add_argument("--systems", help=f"comma-separated, from: {', '.join(SYSTEMS)}")
    parser.add_argument("--no-replay", action="store_true",
                        help="skip replaying the model calls alone after each run")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    mode = MODES["fast" if args.fast else "full"]
    systems = tuple(args.systems.split(",")) if args.systems else mode.systems
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        faces = tuple(int(f) for f in args.faces.split(",")) if args.faces else mode.faces
    except ValueError:
        parser.error(f"--faces must be comma-separated integers, got {args.faces!r}")
    if args.duration is not None and args.duration <= 0:
        parser.error("--duration must be positive")
    mode = Mode(mode.name, faces, args.duration or mode.duration_s, args.runs or mode.runs,
                systems, mode.profile and not args.no_profile)
    return mode, args


@contextlib.contextmanager
def native_stderr_to(path: Path) -> Iterator[None]:
    """Send what native code writes to stderr (MediaPipe/LiteRT log a line per sparse
    tensor while loading) to ``path`` instead of the console."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as target:
        os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def scene_info(scene: RenderedScene) -> dict[str, Any]:
    """What the scene holds, from its ground truth."""
    counts = scene.truth.counts_in_view()
    return {"name": scene.case.name, "video": scene.video.name,
            "frames": scene.truth.frame_count, "passes": len(scene.truth.passes),
            "watchlisted_passes": sum(1 for p in scene.truth.passes
                                      if p.identity in WATCHLIST_IDENTITIES),
            "mean_faces_in_view": sum(counts) / len(counts) if counts else 0.0,
            "max_faces_in_view": max(counts, default=0), "case": asdict(scene.case)}


def say(message: str) -> None:
    """Progress on stderr, so stdout is only the table."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Render scenes, run every system over every scene ``runs`` times, write results."""
    argv = sys.argv[1:] if argv is None else argv
    mode, args = parse_args(argv)
    began = time.perf_counter()
    out: Path = args.out
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    say(f"benchmark {mode.name} on {describe(info)}")
    write_watchlist(work / "watchlist")
    scenes: list[RenderedScene] = []
    for faces in mode.faces:
        say(f"rendering {faces}-face scene ({mode.duration_s:g} s at 1280x720) …")
        scenes.append(render(SceneCase(faces, mode.duration_s), out / "scenes"))
    systems: list[System] = [SYSTEMS[name](work) for name in mode.systems]
    for system in systems:
        say(f"loading {system.name} (models, watchlist; not timed) …")
        with native_stderr_to(work / "native-stderr.log"):
            system.prepare(scenes[0])
    runs: list[RunResult] = []
    for scene in scenes:
        for i in range(mode.runs):
            for system in systems:  # interleaved, so drift hits every system alike
                result = system.run(scene, replay=not args.no_replay)
                runs.append(result)
                say(f"  {scene.case.name} run {i + 1}/{mode.runs} {system.name}: "
                    f"{result.fps:.1f} fps, TPIR {result.pass_tpir}, "
                    f"overhead {result.overhead(False) or 0:+.1%} (in run) / "
                    f"{result.overhead(True) or 0:+.1%} (vs calls alone)")
    system_info = {s.name: s.info() for s in systems}
    with native_stderr_to(work / "native-stderr.log"):
        for system in systems:
            system.close()
    summaries = [summarise([r for r in runs if r.system == s.name and r.scene == sc.case.name])
                 for sc in scenes for s in systems]
    profile = None
    if mode.profile:
        target = next((s for s in scenes if s.case.faces_in_view == 5), scenes[0])
        say(f"profiling one lfr run on {target.case.name} with py-spy …")
        profile = profile_run(target.video, work, target.case.faces_in_view, out)
    command = "python -m benchmarks.run " + shlex.join(argv)
    payload: dict[str, Any] = {
        "command": command,
        "mode": asdict(mode),
        "machine": info,
        "systems": system_info,
        "scenes": [scene_info(s) for s in scenes],
        "summaries": summaries,
        "runs": [r.as_dict() for r in runs],
        "profile": profile,
        "elapsed_s": time.perf_counter() - began,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{mode.name}.json", payload)
    chart(out / f"{mode.name}.png", summaries,
          f"{command} — {describe(info)} — {info['date_utc']}")
    print(table(summaries))
    if profile:
        worker = profile["worker"]
        print(f"\nprofile, worker thread ({worker['samples']} samples): busy "
              f"{worker['busy_share'] or 0:.1%}, of which outside the model calls "
              f"{worker['outside_models_share_of_busy'] or 0:.1%}")
        for bucket, row in list(worker["buckets"].items())[:10]:
            print(f"  {row['share']:6.1%}  {bucket}")
    say(f"wrote {out / (mode.name + '.json')} and {out / (mode.name + '.png')} "
        f"in {payload['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
