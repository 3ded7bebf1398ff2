"""The systems a benchmark compares. Each one loads its models in ``prepare`` (not timed),
then ``run`` processes every frame of a scene video once and returns a :class:`RunResult`.

To add a peer: write a class with this shape in its own module (a per-frame loop can use
:func:`benchmarks.peer_loop.run_per_frame`) and add a factory to :data:`SYSTEMS` and its
name to :data:`PEERS`. A peer fills in ``frames``, ``wall_s`` and the pass-level fields;
``stages`` and call timings are optional.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from benchmarks.records import RunResult
from benchmarks.scenes import RenderedScene


class System(Protocol):
    """Something that turns a scene video into alerts, timed."""

    name: str

    def prepare(self, scene: RenderedScene) -> None:
        """Load models and enrol the watchlist; not timed."""

    def run(self, scene: RenderedScene, replay: bool = True) -> RunResult:
        """Process every frame of ``scene`` once, timed from start to finish."""

    def info(self) -> dict[str, Any]:
        """Components and settings, for the results file."""

    def close(self) -> None:
        """Release models and indexes."""


def _lfr(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    return LfrSystem(workdir)


def _lfr_one_thread(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # The recogniser's ONNX Runtime session with one intra-op thread instead of one per
    # core. Found faster while ORT's threads spun; kept to re-check that finding
    # (docs/performance.md), not part of the default sets.
    return LfrSystem(workdir, name="lfr-ort1t", recogniser_options={
        "runtime": "onnxruntime", "intra_op_threads": 1})


def _lfr_onnxruntime(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # The recogniser on ONNX Runtime (with the PRelu rewrite), the default before OpenCV
    # DNN was measured faster on the same crops.
    return LfrSystem(workdir, name="lfr-ort", recogniser_options={"runtime": "onnxruntime"})


def _lfr_spinning(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # The recogniser as it was before profiling: ONNX Runtime, its intra-op threads
    # busy-waiting, PRelu as published.
    return LfrSystem(workdir, name="lfr-spin", ort_spinning=True, recogniser_options={
        "runtime": "onnxruntime", "rewrite_prelu": False})


def _lfr_all_tiles(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # Every tile of every frame: the defaults before detection was scheduled across frames.
    return LfrSystem(workdir, name="lfr-all-tiles",
                     sections={"detection": {"tiles_per_frame": "all"}})


def _lfr_previous(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # The defaults before the street-accuracy work: the whole frame only, no refinement,
    # the quality gate at 40 px (docs/evaluation.md).
    return LfrSystem(workdir, name="lfr-prev", detector_options={"tiles": 1, "refine": False},
                     sections={"quality": {"min_face_px": 40, "min_inter_eye_px": 12}})


def _lfr_two_cameras(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # Two cameras on one node (one deployment, the models shared): fps is per camera.
    return LfrSystem(workdir, name="lfr-2cam", cameras=2)


def _lfr_one_look(workdir: Path) -> System:
    from benchmarks.lfr_system import LfrSystem

    # One recognition per track, its first good shot: no better shot, no second look.
    return LfrSystem(workdir, name="lfr-1look", sections={
        "recognition": {"cooldown_s": 0.0, "better_shot_margin": 10.0,
                        "recheck_interval_s": 86400.0}})


def _face_recognition(workdir: Path) -> System:
    from benchmarks.face_recognition_system import FaceRecognitionSystem

    return FaceRecognitionSystem(workdir)


def _opencv(workdir: Path) -> System:
    from benchmarks.opencv_system import OpenCvSystem

    return OpenCvSystem(workdir)


#: Every system by name; ``--systems`` picks from these.
SYSTEMS: dict[str, Callable[[Path], System]] = {
    "lfr": _lfr,
    "opencv-yunet-sface": _opencv,
    "face_recognition": _face_recognition,
    "lfr-ort": _lfr_onnxruntime,
    "lfr-ort1t": _lfr_one_thread,
    "lfr-spin": _lfr_spinning,
    "lfr-all-tiles": _lfr_all_tiles,
    "lfr-prev": _lfr_previous,
    "lfr-2cam": _lfr_two_cameras,
    "lfr-1look": _lfr_one_look,
}
#: Our variants that only the street scene needs (the other scenes have large faces only).
STREET_ONLY = ("lfr-all-tiles", "lfr-prev", "lfr-2cam", "lfr-1look")
#: Peers: other libraries doing the same job, for the ratios to ours.
PEERS = ("opencv-yunet-sface", "face_recognition")
