"""The deployment file (TOML): cameras, plugins and their options, threshold and sinks.

Every option is validated at start; an invalid one fails with its key and the reason.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pydantic

from lfr_framework.errors import ConfigurationError
from lfr_framework.pipeline.policy import RecognitionSettings
from lfr_framework.pipeline.quality import QualitySettings
from lfr_framework.pipeline.schedule import DetectionSettings
from lfr_framework.pipeline.tracker import TrackerSettings
from lfr_framework.thresholds.policy import (
    DEFAULT_TARGET_FPIR,
    MAX_TARGET_FPIR,
    ThresholdPolicy,
)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class ComponentConfig(_Strict):
    """A plugin component chosen by name, with its options (validated by the plugin)."""

    name: str = pydantic.Field(min_length=1)
    options: dict[str, Any] = pydantic.Field(default_factory=dict)


class CameraConfig(_Strict):
    """One camera of the deployment."""

    id: str = pydantic.Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    source: str = pydantic.Field(min_length=1, description="camera source name, e.g. 'video'")
    uri: str = pydantic.Field(min_length=1)
    location: str = ""
    options: dict[str, Any] = pydantic.Field(default_factory=dict)


class WatchlistConfig(_Strict):
    """Where the watchlist images come from: one sub-folder per entry."""

    directory: Path
    largest_face: bool = False


class DeploymentInfo(_Strict):
    """Identity of the deployment and its threshold policy."""

    id: str = pydantic.Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    target_fpir: float = pydantic.Field(
        DEFAULT_TARGET_FPIR, gt=0, le=MAX_TARGET_FPIR,
        description="false positive identification rate per passer-by this deployment "
        "accepts (0.001 = 1 in 1,000); the threshold follows from the calibration and the "
        "watchlist's size",
    )
    threshold: float | None = pydantic.Field(
        None, gt=-1, le=1,
        description="experts only: a fixed score threshold instead of the target FPIR "
        "(its predicted FPIR is shown)",
    )
    calibration: Path | None = pydantic.Field(
        None, description="a calibration file made by 'lfr calibrate' (default: the force's "
        "installed one, else the recogniser plugin's)",
    )
    expected_faces: int | None = pydantic.Field(
        None, ge=0, description="expected footfall (faces seen) of the deployment, for the "
        "predicted false alerts",
    )

    def policy(self) -> ThresholdPolicy:
        """The deployment's threshold policy."""
        return ThresholdPolicy(self.target_fpir, self.threshold)


class PipelineOptions(_Strict):
    """Runner options."""

    queue_size: int = pydantic.Field(8, ge=1, le=1000)
    realtime: bool = pydantic.Field(
        True, description="drop the oldest frames under overload (live cameras)"
    )
    detector_per_camera: bool = pydantic.Field(
        True, description="build the detector once per camera, so that cameras detect at "
        "once (a BlazeFace detector runs on one core); false: one detector, shared in turn"
    )


class DeploymentConfig(_Strict):
    """A whole deployment file."""

    deployment: DeploymentInfo
    cameras: list[CameraConfig] = pydantic.Field(min_length=1)
    detector: ComponentConfig = ComponentConfig(name="mediapipe")
    recogniser: ComponentConfig = ComponentConfig(name="arcface_onnx")
    matcher: ComponentConfig = ComponentConfig(name="usearch")
    sinks: list[ComponentConfig] = pydantic.Field(default_factory=list)
    watchlist: WatchlistConfig
    pipeline: PipelineOptions = PipelineOptions()
    quality: QualitySettings = QualitySettings()
    tracker: TrackerSettings = TrackerSettings()
    recognition: RecognitionSettings = RecognitionSettings()
    detection: DetectionSettings = DetectionSettings()

    @pydantic.field_validator("cameras")
    @classmethod
    def _unique_camera_ids(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        ids = [c.id for c in cameras]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"camera ids must be unique; repeated: {', '.join(duplicates)}")
        return cameras


def format_validation_error(exc: pydantic.ValidationError, source: str) -> str:
    """One line per problem: ``FILE: key.path: reason``."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"{source}: {key}: {err['msg']}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], source: str = "<config>") -> DeploymentConfig:
    """Validate an already-parsed deployment mapping."""
    try:
        return DeploymentConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(format_validation_error(exc, source)) from None


def load_config(path: Path) -> DeploymentConfig:
    """Read and validate a deployment TOML file; relative paths are resolved against it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"deployment file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(data, str(path))
    calibration = config.deployment.calibration
    if calibration is not None and not calibration.is_absolute():
        config.deployment.calibration = (path.parent / calibration).resolve()
    if not config.watchlist.directory.is_absolute():
        config.watchlist.directory = (path.parent / config.watchlist.directory).resolve()
    for camera in config.cameras:
        local = Path(camera.uri)
        if "://" not in camera.uri and not camera.uri.isdigit() and not local.is_absolute():
            camera.uri = str((path.parent / local).resolve())
    return config
