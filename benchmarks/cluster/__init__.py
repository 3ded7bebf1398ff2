"""The cluster harness: N API replicas (uvicorn processes), M camera-node processes and K
officers (the reference client) on a PostgreSQL and a Redis it starts itself on spare
loopback ports, with faults injected on a schedule (``python -m benchmarks.cluster.run``;
``make chaos``). See docs/operations.md and docs/performance.md for its figures."""
