"""Liveness, readiness and Prometheus metrics of a replica (``/health``, ``/ready``,
``/metrics``)."""
