"""``lfr node``: a camera node that runs its deployment's pipeline near the cameras and
posts alerts to the service (``POST /ingest/alerts``) with its service-account key."""
