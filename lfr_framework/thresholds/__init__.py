"""Thresholds as a policy: a recogniser's calibration, the threshold a target false alert
rate gives for a watchlist's size, and the false alerts to expect."""
