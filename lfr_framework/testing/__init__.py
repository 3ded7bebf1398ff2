"""Helpers and pytest fixtures for testing the framework and third-party plugins."""

from lfr_framework.sample_photos import PHOTOS, PinnedPhoto, fetch_photos

__all__ = ["PHOTOS", "PinnedPhoto", "fetch_photos"]
