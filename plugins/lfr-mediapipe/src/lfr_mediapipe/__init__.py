"""MediaPipe BlazeFace face detector plugin for the LFR framework."""

from lfr_mediapipe.detector import MediaPipeFaceDetector
from lfr_mediapipe.options import MediaPipeOptions

__all__ = ["MediaPipeFaceDetector", "MediaPipeOptions"]
