"""``python -m lfr_framework.cli``."""

from lfr_framework.cli import main

main()
