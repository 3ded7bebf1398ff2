"""The JSON Schemas of the mobile contract (``mobile_contract/schemas``), for validation.

Used by the tests and by anyone checking captured messages:
``validator("feed_message").validate(message)``. Needs ``jsonschema`` (the ``dev``/``test``
extras) and a checkout (or ``LFR_MOBILE_CONTRACT_DIR`` naming the folder).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any


def contract_dir() -> Path:
    """The ``mobile_contract`` folder."""
    configured = os.environ.get("LFR_MOBILE_CONTRACT_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / \
        "mobile_contract"


def schema_files() -> dict[str, Path]:
    """Schema name (file name without ``.schema.json``) → path."""
    folder = contract_dir() / "schemas"
    return {p.name.removesuffix(".schema.json"): p
            for p in sorted(folder.glob("*.schema.json"))}


@cache
def _registry() -> Any:
    from referencing import Registry, Resource

    resources = []
    for path in schema_files().values():
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(name: str) -> Any:
    """A Draft 2020-12 validator for the schema ``name`` (e.g. ``alert.raised``)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    schema = json.loads(schema_files()[name].read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry())
