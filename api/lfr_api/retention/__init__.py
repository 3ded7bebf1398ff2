"""Retention in the service: the ``RetentionStore`` over the service's tables, the sweep
(CLI and scheduled), destroying a watchlist on close, and holds."""
