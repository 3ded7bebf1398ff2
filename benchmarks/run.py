"""Run the benchmarks: ``python -m benchmarks.run --fast`` (``make bench``, a few minutes
on 2 cores) or ``--full`` (``make bench-full``, everything).

Sections, all in this one run: ``pipeline`` (ours and the peers, interleaved on the same
scenes), ``profile`` (py-spy over one run of ours), ``search`` (1:N search), ``sweep``
(graph settings against recall, ``--full``) and ``service`` (alert delivery and ingest).
Writes ``benchmarks/results/<mode>.json`` and ``<mode>-*.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.machine import describe, machine_info
from benchmarks.records import RunResult, summarise
from benchmarks.report import (
    chart,
    peer_ratios,
    ratio_table,
    search_chart,
    search_table,
    service_chart,
    service_table,
    sweep_table,
    table,
    write_json,
)
from benchmarks.requirements import ensure_installed
from benchmarks.scenes import WATCHLIST, RenderedScene, SceneCase, render, write_watchlist
from benchmarks.systems import PEERS, STREET_ONLY, SYSTEMS, System
from lfr_framework.errors import ConfigurationError

WATCHLIST_IDENTITIES = {identity for _, identity in WATCHLIST.values()}
RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("pipeline", "profile", "recogniser", "search", "sweep", "memory", "service",
            "soak")


@dataclass(frozen=True, slots=True)
class Mode:
    """How much to run."""

    name: str
    #: (frame height, faces in view) of each scene.
    scenes: tuple[tuple[int, int], ...]
    duration_s: float
    #: Runs per scene of each system (slow peers run fewer times; their per-frame times
    #: still give a distribution).
    runs: tuple[tuple[str, int], ...]
    sections: tuple[str, ...]
    search_sizes: tuple[int, ...]
    search_queries: int
    sweep_size: int
    service_latency_alerts: int
    service_ingest_s: float
    #: Search section: template sources (benchmarks/search_data.py).
    search_sources: tuple[str, ...] = ("uniform", "sface")
    #: Recogniser section: timed blocks, calls per block, degraded copies per photo.
    recogniser_repeats: int = 3
    recogniser_calls: int = 40
    recogniser_placements: int = 2
    #: Memory section: seconds each camera count runs; the soak's minutes.
    memory_camera_s: float = 20.0
    soak_minutes: float = 30.0
    #: Seconds of the 1080p street scene (0: none); peers and our variants run on it.
    street_s: float = 4.0
    #: Runs on the street scene where they differ from ``runs`` (the fast set keeps
    #: ``face_recognition``, 9.5 of the street scene's 17 minutes in run G, to --full).
    street_runs: tuple[tuple[str, int], ...] = ()

    def runs_on(self, system: str, scene: RenderedScene) -> int:
        """How many runs ``system`` gets on ``scene`` (street-only variants: none elsewhere,
        one on the street)."""
        street = scene.case.kind == "street"
        if street and system in dict(self.street_runs):
            return min(dict(self.street_runs)[system], self.runs_of(system))
        if system in STREET_ONLY:
            return self.runs_of(system) if street else 0
        return self.runs_of(system)

    def runs_of(self, system: str, default: int = 1) -> int:
        """How many runs per scene ``system`` gets."""
        return dict(self.runs).get(system, default)


MODES = {
    "fast": Mode("fast", ((720, 1), (720, 5), (1080, 5)), 4.0,
                 (("lfr", 3), ("opencv-yunet-sface", 2), ("face_recognition", 1),
                  ("lfr-all-tiles", 1), ("lfr-prev", 1), ("lfr-2cam", 2), ("lfr-1look", 1)),
                 ("pipeline", "profile", "recogniser", "search", "memory", "service"),
                 (100, 1_000, 10_000, 100_000), 400, 100_000, 50, 10.0,
                 search_sources=("sface",), recogniser_repeats=2, recogniser_calls=30,
                 recogniser_placements=1, memory_camera_s=15.0,
                 street_runs=(("face_recognition", 0), ("opencv-yunet-sface", 1))),
    "full": Mode("full", ((720, 1), (720, 5), (720, 20), (1080, 1), (1080, 5), (1080, 20)),
                 8.0, (("lfr", 5), ("opencv-yunet-sface", 3), ("face_recognition", 1),
                       ("lfr-all-tiles", 2), ("lfr-prev", 2), ("lfr-2cam", 3),
                       ("lfr-1look", 2)),
                 SECTIONS, (100, 1_000, 10_000, 100_000, 1_000_000), 400, 100_000, 200, 30.0,
                 street_s=8.0),
}


def _ints(text: str, what: str, parser: argparse.ArgumentParser) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        parser.error(f"{what} must be comma-separated integers, got {text!r}")
    if any(v < 1 for v in values):
        parser.error(f"{what} must be positive")
    return values


def parse_args(argv: list[str]) -> tuple[Mode, argparse.Namespace]:
    """The mode, with any overrides applied."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--fast", action="store_true", help="the quick set (make bench)")
    group.add_argument("--full", action="store_true", help="everything (make bench-full)")
    parser.add_argument("--only", help=f"comma-separated sections, from: {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, help="runs per scene for every system")
    parser.add_argument("--faces", help="comma-separated faces in view, e.g. 1,5,20 (0: no "
                                             "crowd scene, the street scene alone)")
    parser.add_argument("--heights", help="comma-separated frame heights, from 720,1080")
    parser.add_argument("--duration", type=float, help="scene length in seconds")
    parser.add_argument("--street", type=float,
                        help="seconds of the 1080p street scene (0: leave it out; default 4, "
                             "8 with --full)")
    parser.add_argument("--street-peers", action="store_true",
                        help="every peer on the street scene as often as elsewhere (the fast "
                             "set otherwise runs the OpenCV loop once there and leaves "
                             "face_recognition to --full)")
    parser.add_argument("--systems", help=f"comma-separated, from: {', '.join(SYSTEMS)}")
    parser.add_argument("--sizes", help="1:N search sizes, e.g. 1000,10000,100000")
    parser.add_argument("--soak-minutes", type=float,
                        help="length of the one-camera memory soak (default 30)")
    parser.add_argument("--load", type=int, default=0,
                        help="busy processes running beside the pipeline section (another "
                             "camera or the service on the same node), default 0")
    parser.add_argument("--peer-cooldown", type=float,
                        help="seconds a peer waits before alerting the same identity again "
                             "(default 0.5)")
    parser.add_argument("--no-replay", action="store_true",
                        help="skip replaying our model calls alone after each run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    mode = MODES["fast" if args.fast else "full"]
    if args.only:
        sections = tuple(args.only.split(","))
        bad = [s for s in sections if s not in SECTIONS]
        if bad:
            parser.error(f"unknown section(s) {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
        mode = replace(mode, sections=sections)
    if args.systems:
        systems = tuple(args.systems.split(","))
        unknown = [s for s in systems if s not in SYSTEMS]
        if unknown:
            parser.error(f"unknown system(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(SYSTEMS)}")
        mode = replace(mode, runs=tuple((s, mode.runs_of(s, mode.runs_of("lfr")))
                                        for s in systems))
    if args.runs is not None:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        mode = replace(mode, runs=tuple((s, args.runs) for s, _ in mode.runs))
    if args.faces == "0":  # the street scene alone
        mode = replace(mode, scenes=())
    elif args.faces or args.heights:
        faces = (_ints(args.faces, "--faces", parser) if args.faces
                 else tuple(dict.fromkeys(f for _, f in mode.scenes)))
        heights = (_ints(args.heights, "--heights", parser) if args.heights
                   else tuple(dict.fromkeys(h for h, _ in mode.scenes)))
        if any(h not in (720, 1080) for h in heights):
            parser.error("--heights must be 720 and/or 1080")
        mode = replace(mode, scenes=tuple((h, f) for h in heights for f in faces))
    if args.duration is not None:
        if args.duration <= 0:
            parser.error("--duration must be positive")
        mode = replace(mode, duration_s=args.duration)
    if args.street_peers:
        mode = replace(mode, street_runs=())
    if args.street is not None:
        if args.street < 0:
            parser.error("--street must be 0 or more")
        mode = replace(mode, street_s=args.street)
    if args.sizes:
        mode = replace(mode, search_sizes=_ints(args.sizes, "--sizes", parser))
    if args.soak_minutes is not None:
        if args.soak_minutes <= 0:
            parser.error("--soak-minutes must be positive")
        mode = replace(mode, soak_minutes=args.soak_minutes)
    if args.load < 0:
        parser.error("--load must be 0 or more")
    if args.peer_cooldown is not None:
        if args.peer_cooldown < 0:
            parser.error("--peer-cooldown must be 0 or more")
        import benchmarks.peer_loop

        benchmarks.peer_loop.COOLDOWN_S = args.peer_cooldown
    return mode, args


#: What each ``--load`` process runs: a busy loop that ends by itself after an hour.
BUSY_LOOP = "import time\nend = time.monotonic() + 3600\nwhile time.monotonic() < end:\n    pass"


@contextlib.contextmanager
def background_load(processes: int) -> Iterator[None]:
    """``processes`` busy loops in other processes while the block runs."""
    busy = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(processes)]
    try:
        yield
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


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
    """Progress on stderr, so stdout is only the tables."""
    print(message, file=sys.stderr, flush=True)


def run_pipeline(mode: Mode, out: Path, work: Path, replay: bool) -> dict[str, Any]:
    """Render the scenes, run every system over every scene, interleaved."""
    write_watchlist(work / "watchlist")
    scenes: list[RenderedScene] = []
    for height, faces in mode.scenes:
        case = SceneCase.of(height, faces, mode.duration_s)
        say(f"rendering {case.name} ({mode.duration_s:g} s at {case.width}x{case.height}) …")
        scenes.append(render(case, out / "scenes"))
    if mode.street_s > 0:
        case = SceneCase.street(mode.street_s)
        say(f"rendering {case.name} ({mode.street_s:g} s at 1920x1080, 20 faces in view) …")
        scenes.append(render(case, out / "scenes"))
    systems: list[System] = [SYSTEMS[name](work) for name, _ in mode.runs]
    for system in systems:
        say(f"loading {system.name} (models, watchlist; not timed) …")
        with native_stderr_to(work / "native-stderr.log"):
            system.prepare(scenes[0])
    runs: list[RunResult] = []
    most = max(n for _, n in mode.runs)
    for scene in scenes:
        for i in range(most):
            for system in systems:  # interleaved, so drift hits every system alike
                if i >= mode.runs_on(system.name, scene):
                    continue
                result = system.run(scene, replay=replay)
                runs.append(result)
                say(f"  {scene.case.name} run {i + 1}/{mode.runs_on(system.name, scene)} "
                    f"{system.name}: {result.fps:.1f} fps, TPIR {result.pass_tpir}, "
                    f"false alerts {result.false_alerts}")
    system_info = {s.name: s.info() for s in systems}
    with native_stderr_to(work / "native-stderr.log"):
        for system in systems:
            system.close()
    summaries = [summarise(rs) for sc in scenes for s in systems
                 if (rs := [r for r in runs if r.system == s.name and r.scene == sc.case.name])]
    return {"systems": system_info, "scenes": [scene_info(s) for s in scenes],
            "summaries": summaries, "ratios": peer_ratios(summaries, "lfr", PEERS),
            "runs": [r.as_dict() for r in runs],
            "_videos": {s.case.name: (str(s.video), s.case.faces_in_view) for s in scenes}}


def print_profile(label: str, profile: dict[str, Any] | None) -> None:
    """The worker thread's busy share, the share outside the model calls, the top buckets."""
    if not profile:
        return
    worker = profile["worker"]
    print(f"\nprofile, {label}, worker thread ({worker['samples']} samples): busy "
          f"{worker['busy_share'] or 0:.1%}, of which outside the model calls "
          f"{worker['outside_models_share_of_busy'] or 0:.1%}")
    for bucket, row in list(worker["buckets"].items())[:10]:
        print(f"  {row['share']:6.1%}  {bucket}")


def main(argv: list[str] | None = None) -> int:
    """Run the sections of the mode, then write the JSON, the charts and the tables."""
    argv = sys.argv[1:] if argv is None else argv
    mode, args = parse_args(argv)
    began = time.perf_counter()
    out: Path = args.out
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    command = "python -m benchmarks.run " + shlex.join(argv)
    stamp = f"{command} — {describe(info)} — {info['date_utc']}"
    say(f"benchmark {mode.name} ({', '.join(mode.sections)}) on {describe(info)}")
    payload: dict[str, Any] = {"command": command, "mode": asdict(mode), "machine": info}
    name = mode.name if not args.only else f"{mode.name}-{'-'.join(mode.sections)}"
    needed = []
    if "pipeline" in mode.sections and "face_recognition" in dict(mode.runs):
        needed.append("face_recognition")
    if "sweep" in mode.sections:
        needed.append("faiss")
    ensure_installed(needed, say)
    charts: list[Path] = []
    if "pipeline" in mode.sections:
        if args.load:
            say(f"{args.load} busy process(es) run beside the pipeline section")
        with background_load(args.load):
            try:
                pipeline = run_pipeline(mode, out, work, replay=not args.no_replay)
            except ConfigurationError as exc:  # e.g. a scene too short for its passes
                say(f"error: {exc}")
                return 2
        pipeline["background_load_processes"] = args.load
        videos = pipeline.pop("_videos")
        payload["pipeline"] = pipeline
        charts.append(out / f"{mode.name}-pipeline.png")
        chart(charts[-1], pipeline["summaries"], stamp)
        print(table(pipeline["summaries"]))
        print()
        print(ratio_table(pipeline["ratios"]))
    if "profile" in mode.sections:
        from benchmarks.profiling import profile_run

        if "pipeline" in mode.sections:
            video, faces = next(((v, f) for n, (v, f) in videos.items() if n == "720p-5faces"),
                                next(iter(videos.values())))
        else:
            case = SceneCase.of(720, 5, mode.duration_s)
            scene = render(case, out / "scenes")
            write_watchlist(work / "watchlist")
            video, faces = str(scene.video), 5
        say("profiling one lfr run on the 5-face 720p scene with py-spy …")
        profile = profile_run(Path(video), work, faces, out)
        payload["profile"] = profile
        print_profile("5-face 720p", profile)
        if mode.street_s > 0:
            street = render(SceneCase.street(mode.street_s), out / "scenes")
            write_watchlist(work / "watchlist")
            say("profiling one lfr run on the street scene with py-spy …")
            payload["profile_street"] = profile_run(street.video, work, 20, out,
                                                    raw_name="profile-street-raw.txt")
            print_profile("street 1080p", payload["profile_street"])
    if "search" in mode.sections:
        from benchmarks.search import run_in_subprocess

        payload["search"] = run_in_subprocess("search", list(mode.search_sizes),
                                              mode.search_queries, work / "search.json",
                                              full=mode.name == "full",
                                              sources=mode.search_sources)
        charts.append(out / f"{mode.name}-search.png")
        search_chart(charts[-1], payload["search"], stamp)
        print()
        print(search_table(payload["search"]))
    if "sweep" in mode.sections:
        from benchmarks.search import run_in_subprocess

        say(f"graph settings sweep at {mode.sweep_size} templates …")
        payload["sweep"] = run_in_subprocess("sweep", [mode.sweep_size], mode.search_queries,
                                             work / "sweep.json")
        print()
        print(sweep_table(payload["sweep"]))
    if "recogniser" in mode.sections:
        from benchmarks.recogniser import run_recogniser
        from benchmarks.recogniser import table as recogniser_table

        payload["recogniser"] = run_recogniser(mode.recogniser_repeats, mode.recogniser_calls,
                                               work, say, mode.recogniser_placements)
        print()
        print(recogniser_table(payload["recogniser"]))
    if {"memory", "soak"} & set(mode.sections):
        from benchmarks.memory import run_in_subprocess as memory_subprocess
        from benchmarks.memory import run_memory
        from benchmarks.report import memory_table

        soak_video = render(SceneCase.of(720, 5, 8.0), out / "scenes").video
        if "memory" in mode.sections:
            payload["memory"] = run_memory(soak_video, work, mode.memory_camera_s,
                                           [10_000, 100_000], say)
        if "soak" in mode.sections:
            say(f"memory soak: one camera for {mode.soak_minutes:g} min …")
            payload["soak"] = memory_subprocess(
                ["soak", "--video", str(soak_video), "--work", str(work), "--cameras", "1",
                 "--seconds", str(60.0 * mode.soak_minutes), "--every", "10",
                 "--warmup", str(min(300.0, 10.0 * mode.soak_minutes))], work / "soak.json")
        print()
        print(memory_table(payload.get("memory"), payload.get("soak")))
    if "service" in mode.sections:
        from benchmarks.service import ServicePlan, run_service

        plan = ServicePlan(latency_alerts=mode.service_latency_alerts,
                           ingest_alerts=100_000, ingest_time_limit_s=mode.service_ingest_s)
        payload["service"] = run_service(plan, work, say=say)
        charts.append(out / f"{mode.name}-service.png")
        service_chart(charts[-1], payload["service"], stamp)
        print()
        print(service_table(payload["service"]))
    payload["elapsed_s"] = time.perf_counter() - began
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{name}.json", payload)
    say(f"wrote {out / (name + '.json')} and {', '.join(c.name for c in charts)} "
        f"in {payload['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
