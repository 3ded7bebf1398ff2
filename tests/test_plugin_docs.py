"""docs/plugins.md documents every hook with the signature the spec has, and nothing else.

Each hook is a level-3 heading holding its signature in backticks, for example
``### `register_detectors(register: ComponentRegister) -> None` ``. The hookspecs module uses
postponed annotations, so ``inspect.signature`` gives annotations as strings; both sides are
normalised through :mod:`ast` before they are compared.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lfr_framework import hookspecs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
INTERFACES = ROOT / "lfr_framework" / "interfaces.py"

HOOK_HEADING = re.compile(r"^### `(?P<name>\w+)\((?P<params>[^`]*)\)\s*->\s*(?P<ret>[^`]+)`\s*$")
RETURNS_PROTOCOL = re.compile(r"returns an? (?:empty )?``(?P<protocol>\w+)``")


@dataclass(frozen=True)
class DocumentedHook:
    """One hook heading of the docs and the text of its section."""

    name: str
    params: list[tuple[str, str | None]]
    returns: str | None
    section: str
    line: int


def _normalise(annotation: str | None) -> str | None:
    """One spelling per annotation, so ``dict[str,int]`` equals ``dict[str, int]``."""
    if annotation is None:
        return None
    return ast.unparse(ast.parse(annotation, mode="eval"))


def _parse_docs(text: str) -> list[DocumentedHook]:
    lines = text.splitlines()
    hooks: list[DocumentedHook] = []
    for number, line in enumerate(lines):
        match = HOOK_HEADING.match(line)
        if match is None:
            continue
        end = next(
            (i for i in range(number + 1, len(lines)) if re.match(r"^#{1,3} ", lines[i])),
            len(lines),
        )
        source = f"def {match['name']}({match['params']}) -> {match['ret']}: ..."
        try:
            func = ast.parse(source).body[0]
        except SyntaxError as exc:
            pytest.fail(f"docs/plugins.md line {number + 1}: heading is not a signature: {exc}")
        assert isinstance(func, ast.FunctionDef)
        params = [
            (arg.arg, _normalise(ast.unparse(arg.annotation)) if arg.annotation else None)
            for arg in func.args.posonlyargs + func.args.args + func.args.kwonlyargs
        ]
        returns = _normalise(ast.unparse(func.returns)) if func.returns else None
        hooks.append(DocumentedHook(
            match["name"], params, returns, "\n".join(lines[number:end]), number + 1))
    return hooks


def _hookspecs() -> dict[str, Callable[..., Any]]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {
        name: func
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, marker)
    }


def _spec_signature(func: Callable[..., Any]) -> tuple[list[tuple[str, str | None]], str | None]:
    signature = inspect.signature(func)
    empty = inspect.Signature.empty
    params = [
        (p.name, None if p.annotation is empty else _normalise(str(p.annotation)))
        for p in signature.parameters.values()
    ]
    returns = (
        None if signature.return_annotation is empty
        else _normalise(str(signature.return_annotation))
    )
    return params, returns


def _protocol_members() -> dict[str, list[str]]:
    """Attributes and methods each Protocol in interfaces.py declares, read from its source."""
    tree = ast.parse(INTERFACES.read_text(encoding="utf-8"))
    members: dict[str, list[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        names: list[str] = []
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                names.append(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names.append(item.target.id)
        members[node.name] = names
    return members


DOCUMENTED = _parse_docs(DOCS.read_text(encoding="utf-8"))
SPECS = _hookspecs()


def test_hookspecs_are_found() -> None:
    # Guards the test itself: a broken marker lookup would make every check pass vacuously.
    assert "register_detectors" in SPECS
    assert "alert_raised" in SPECS


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_every_hook_is_documented_once(hook: str) -> None:
    lines = [d.line for d in DOCUMENTED if d.name == hook]
    assert lines, f"hook {hook!r} is not documented in docs/plugins.md (### `{hook}(...) -> ...`)"
    assert len(lines) == 1, f"hook {hook!r} is documented more than once, lines {lines}"


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_documented_signature_matches_the_spec(hook: str) -> None:
    documented = next((d for d in DOCUMENTED if d.name == hook), None)
    if documented is None:
        pytest.fail(f"hook {hook!r} is not documented in docs/plugins.md")
    params, returns = _spec_signature(SPECS[hook])
    assert documented.params == params, (
        f"docs/plugins.md line {documented.line}: parameters of {hook} are "
        f"{documented.params}, the spec has {params}"
    )
    assert documented.returns == returns, (
        f"docs/plugins.md line {documented.line}: {hook} returns {documented.returns!r} "
        f"in the docs, {returns!r} in the spec"
    )


def test_docs_document_no_hook_that_does_not_exist() -> None:
    unknown = sorted({d.name for d in DOCUMENTED} - set(SPECS))
    assert not unknown, f"docs/plugins.md documents hooks that are not in hookspecs.py: {unknown}"


REGISTRY_HOOKS = sorted(
    (name, match["protocol"])
    for name, func in SPECS.items()
    if (match := RETURNS_PROTOCOL.search(inspect.getdoc(func) or "")) is not None
)


def test_registry_hooks_name_their_protocol() -> None:
    # Every component registry hook says in its docstring which protocol the factory returns.
    declarations = {"register_models", "register_calibrations"}  # files, not components
    component_hooks = {n for n in SPECS if n.startswith("register_") and n not in declarations}
    assert {name for name, _ in REGISTRY_HOOKS} == component_hooks


@pytest.mark.parametrize(("hook", "protocol"), REGISTRY_HOOKS)
def test_registry_hook_section_lists_the_protocol(hook: str, protocol: str) -> None:
    documented = next((d for d in DOCUMENTED if d.name == hook), None)
    if documented is None:
        pytest.fail(f"hook {hook!r} is not documented in docs/plugins.md")
    members = _protocol_members()
    assert protocol in members, f"{hook}'s docstring names {protocol}, not in interfaces.py"
    assert f"[`{protocol}`](../lfr_framework/interfaces.py)" in documented.section, (
        f"the section of {hook} does not link the {protocol} protocol"
    )
    missing = [
        m for m in members[protocol] if not re.search(rf"`{re.escape(m)}\b", documented.section)
    ]
    assert not missing, f"the section of {hook} does not list {protocol} members {missing}"
