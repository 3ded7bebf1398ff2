"""The recognition pipeline: quality gate, tracker, best shot, runner."""
