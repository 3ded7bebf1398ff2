"""What :mod:`benchmarks.profiling` samples: load the models, then run the pipeline over
one scene once. ``python -m benchmarks.profile_target VIDEO WORKDIR``."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.lfr_system import LfrSystem
from benchmarks.scenes import RenderedScene, SceneCase
from lfr_framework.evaluation.scenes import GroundTruth, truth_path


def main(argv: list[str]) -> int:
    """Run once; the scene case is only a label here."""
    video, workdir, faces = Path(argv[0]), Path(argv[1]), int(argv[2])
    case = SceneCase.street(0.0) if video.name.startswith("street-") else SceneCase(faces, 0.0)
    scene = RenderedScene(case, video, GroundTruth.load(truth_path(video)))
    system = LfrSystem(workdir)
    system.prepare(scene)
    result = system.run(scene, replay=False)
    system.close()
    print(f"profiled run: {result.frames} frames, {result.fps:.1f} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
