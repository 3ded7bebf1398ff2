"""Biometric data at rest: encrypted storage of images, templates and crops, data keys and
their rotation."""
