"""Helpers for testing the service: test settings, a running app with users of every role, test
data, a live server."""
