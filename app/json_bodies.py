"""Request bodies the app will read: a few KiB of JSON at most, never nested
deeper than a sign-in needs. A deeply nested body would otherwise end in a
RecursionError (a 500) inside the JSON parser."""

from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider

#: Our largest body is a token of at most 4 KiB in a small JSON object.
MAX_BODY_BYTES = 8 * 1024
MAX_DEPTH = 16


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if too_deep(value):
            raise ValueError("JSON nested too deeply")
        return value


def too_deep(value) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False
