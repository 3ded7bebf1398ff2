"""Hook implementations of the ``lfr-usearch`` plugin."""

from __future__ import annotations

from lfr_framework import hookimpl
from lfr_framework.hookspecs import ComponentRegister
from lfr_usearch.matcher import create_matcher
from lfr_usearch.options import UsearchOptions


@hookimpl
def register_matchers(register: ComponentRegister) -> None:
    """Register the ``usearch`` matcher."""
    register("usearch", create_matcher, options=UsearchOptions)
