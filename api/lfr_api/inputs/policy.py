"""The limits every request is held to, and the checks that apply them.

One policy for the whole app (enforced by :class:`lfr_api.inputs.middleware.InputPolicy`
before any handler, parser or database sees the request):

- a JSON body is at most :data:`MAX_JSON_BYTES` (413), nested at most :data:`MAX_DEPTH`
  deep (400; measured on the raw bytes, before parsing, so a deep body costs no recursion);
- every number in it is finite and at most :data:`MAX_NUMBER` in magnitude (400);
- no string, key, path or query parameter holds a NUL byte (400: PostgreSQL cannot store
  one, and no legitimate value has it).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np

from lfr_api.errors import InvalidRequest, PayloadTooLarge

#: The largest JSON body (the ingest probe crop, base64, is the largest field: 4 MB).
MAX_JSON_BYTES = 5 * 1024 * 1024
#: The deepest nesting of arrays and objects a JSON body may have.
MAX_DEPTH = 32
#: The largest magnitude of a JSON number (2**53: exact in a double and in JavaScript).
MAX_NUMBER = 2**53
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _refuse(field: str, message: str, detail: str) -> InvalidRequest:
    return InvalidRequest(detail, errors=[{"field": field, "message": message}])


def check_text(field: str, value: str | bytes) -> None:
    """Refuse a NUL byte in ``value`` (400 naming ``field``)."""
    nul = b"\x00" if isinstance(value, bytes) else "\x00"
    if nul in value:  # type: ignore[operator]
        raise _refuse(field, "contains a NUL byte",
                      f"{field} contains a NUL byte (\\u0000): remove it and send again")


def check_path_and_query(path: str, query_string: bytes) -> None:
    """Refuse a NUL byte in the (decoded) path or in any query parameter."""
    check_text("path", path)
    if b"%00" in query_string.lower() or b"\x00" in query_string:
        for part in query_string.split(b"&"):
            name, _, value = part.partition(b"=")
            if b"\x00" in unquote_to_bytes(value) or b"\x00" in unquote_to_bytes(name):
                label = unquote_to_bytes(name).replace(b"\x00", b"").decode(errors="replace")
                check_text(f"query.{label or 'parameter'}", b"\x00")


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (brackets inside strings ignored)."""
    stripped = np.frombuffer(_STRING.sub(b'""', body), dtype=np.uint8)
    if stripped.size == 0:
        return 0
    opens = (stripped == ord("[")) | (stripped == ord("{"))
    closes = (stripped == ord("]")) | (stripped == ord("}"))
    steps = opens.astype(np.int32) - closes.astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def _not_finite(token: str) -> float:
    raise _refuse("body", f"{token} is not a JSON number",
                  f"the body holds {token}: numbers must be finite")


def check_json(body: bytes) -> None:
    """Apply the policy to a JSON body; an invalid body is left to the route (400 there)."""
    if len(body) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"the JSON body is {len(body)} bytes; the limit is "
                              f"{MAX_JSON_BYTES}: send less")
    depth = json_depth(body)
    if depth > MAX_DEPTH:
        raise _refuse("body", f"nested {depth} deep",
                      f"the JSON body nests {depth} deep; the limit is {MAX_DEPTH}")
    try:
        value = json.loads(body, parse_constant=_not_finite)
    except (ValueError, RecursionError):
        return  # not JSON: the route's own decoder says so (400)
    _walk(value)


def _walk(root: Any) -> None:
    stack: list[tuple[str, Any]] = [("body", root)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            check_text(where, value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | float):
            _check_number(where, value)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(f"{where}.<key>", key)
                stack.append((key if where == "body" else f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def _check_number(where: str, value: float) -> None:
    if value != value or value in (float("inf"), float("-inf")):
        raise _refuse(where, "not finite", f"{where} must be a finite number")
    if abs(value) > MAX_NUMBER:
        raise _refuse(where, f"magnitude over {MAX_NUMBER}",
                      f"{where} is {value:g}; numbers may be at most {MAX_NUMBER} in magnitude")


#: A feed cursor as the query gives it (``?after=``): a non-negative integer.
CURSOR_PATTERN = r"^[0-9]{1,15}$"


def feed_cursor(raw: str | None) -> int | None:
    """The feed's ``?after=`` cursor, or ``None``; 400 for anything but a whole number ≥ 0."""
    if raw is None:
        return None
    if not re.fullmatch(CURSOR_PATTERN, raw):
        raise _refuse("after", "not a whole number ≥ 0",
                      f"after={raw[:40]!r} is not a feed cursor: give the last cursor "
                      "received (a whole number ≥ 0)")
    return int(raw)
