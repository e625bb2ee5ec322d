"""JSON request bodies with bounded nesting.

``json.loads`` recurses once per ``[`` or ``{``: a small body of 100,000
``[`` raises RecursionError, which would surface as a 500, or anywhere later
code walks the value. No request to either emulator nests more than a few
levels, so a body deeper than :data:`MAX_DEPTH` is refused before parsing.
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32

#: A string (to skip: brackets in it do not nest; unterminated runs to the
#: end), or a bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]', re.DOTALL)


class TooDeeplyNested(ValueError):
    """The body nests more than :data:`MAX_DEPTH` arrays and objects."""


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> object:
    """``json.loads``, after refusing nesting deeper than ``max_depth``.

    Raises ValueError for anything that is not JSON (decoding errors
    included), :class:`TooDeeplyNested` (a ValueError) for too deep a body.
    """
    text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
    check_depth(text, max_depth)
    return json.loads(text)


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Scan brackets outside strings, without recursion; stop at the first
    one too deep."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise TooDeeplyNested(f"The request body nests JSON more than {max_depth} levels deep.")
        elif token in ("]", "}"):
            depth -= 1
