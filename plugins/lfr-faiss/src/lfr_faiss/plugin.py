"""Hook implementations of the ``lfr-faiss`` plugin."""

from __future__ import annotations

from lfr_faiss.matcher import create_matcher
from lfr_faiss.options import FaissOptions
from lfr_framework import hookimpl
from lfr_framework.hookspecs import ComponentRegister


@hookimpl
def register_matchers(register: ComponentRegister) -> None:
    """Register the ``faiss`` matcher."""
    register("faiss", create_matcher, options=FaissOptions)
