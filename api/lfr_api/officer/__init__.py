"""The reference officer client of the mobile contract, and its ``lfr officer`` command."""
