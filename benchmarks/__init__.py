"""Benchmarks of the LFR framework: whole-pipeline throughput, per-stage cost, the share of
time outside the model calls, and (later) peers measured in the same run.

Entry point: ``python -m benchmarks.run --fast|--full`` (``make bench`` / ``make bench-full``).
Results go to ``benchmarks/results/`` (JSON and PNG, not committed).
"""
