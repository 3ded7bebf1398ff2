"""The web app (PWA) built from ``web/``, served at ``/app/``."""
