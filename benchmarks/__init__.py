"""Benchmarks of the LFR framework, peers measured in the same run: whole-pipeline
throughput against the ``face_recognition`` library and a plain OpenCV loop, 1:N search
against exact NumPy and FAISS, alert delivery through the service, per-stage cost and the
share of time outside the model calls.

Entry point: ``python -m benchmarks.run --fast|--full`` (``make bench`` / ``make bench-full``).
Results go to ``benchmarks/results/`` (JSON and PNG, not committed). ``benchmarks/accuracy/``
holds the accuracy evaluation.
"""
