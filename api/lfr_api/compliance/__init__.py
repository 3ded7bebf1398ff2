"""The compliance plugin wired to the service's database, and its log exports."""
