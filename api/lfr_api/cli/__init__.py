"""The service's ``lfr`` commands (added to the core command through the ``lfr_cli`` entry
points)."""
