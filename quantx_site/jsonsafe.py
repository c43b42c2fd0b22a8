"""JSON from clients, within limits: the one parse for REST bodies and WebSocket frames.

Python's json module recurses once per nesting level, so a 2 kB body of `[[[[...` exhausts the
interpreter's recursion limit (RecursionError, not ValueError: it escaped as a 500). QuantX inputs
nest at most a few levels; anything deeper than MAX_JSON_DEPTH is refused as malformed.
"""

import json
from collections.abc import Callable
from typing import Any, Final

MAX_JSON_DEPTH: Final = 32
"""Nesting levels (objects and arrays) a client document may have."""


class JsonTooDeep(ValueError):
    """The document nests deeper than MAX_JSON_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def json_loads(text: str | bytes, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """`json.loads`, but a document nested deeper than MAX_JSON_DEPTH raises JsonTooDeep (a
    ValueError, like every other malformed input) instead of RecursionError."""
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise JsonTooDeep from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise JsonTooDeep
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
