"""The domain exception hierarchy: every error the framework raises on purpose.

Messages say what was wrong and what to do about it. The service maps these
classes to HTTP responses in one place; the CLI prints them without a traceback.
"""

from __future__ import annotations


class LFRError(Exception):
    """Base class of every error the framework raises on purpose."""


class ConfigurationError(LFRError):
    """A deployment file or plugin option is invalid; the message names the key."""


class PluginError(LFRError):
    """A plugin failed to load, registered a duplicate name or is unknown."""


class UnknownComponentError(PluginError):
    """A configuration names a camera source, detector, … that no plugin registered."""


class ModelError(LFRError):
    """A model artifact is missing, corrupt or cannot be fetched."""


class ModelNotAvailableError(ModelError):
    """The model is not in the local store; the message gives the command that fetches it."""

    def __init__(self, message: str, *, model_id: str = "") -> None:
        super().__init__(message)
        #: The id of the model that is missing.
        self.model_id = model_id


class ModelHashMismatchError(ModelError):
    """A model file's sha256 differs from the pinned value; both hashes are in the message."""


class CalibrationError(LFRError):
    """A score calibration is missing, malformed, for another model, or cannot be made."""


class ThresholdPolicyError(ConfigurationError):
    """A threshold policy cannot be applied: a target out of range, or no calibration for it."""


class CameraError(LFRError):
    """A camera source could not be opened or stopped delivering frames."""


class ImageDecodeError(LFRError):
    """A file is not a readable image (corrupt, truncated or not an image at all)."""


class EnrolmentError(LFRError):
    """An image cannot be enrolled: no face, several faces, or a failed quality check."""

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        #: Which check failed: ``no_face``, ``several_faces``, ``face_too_small``,
        #: ``too_blurred``, ``pose`` or ``decode``.
        self.check = check


class PipelineError(LFRError):
    """The pipeline cannot start or was used in the wrong state."""
