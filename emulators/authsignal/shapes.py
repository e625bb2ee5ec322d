"""How the server API renders values: ISO 8601 times, and absent fields
left out rather than null (the Node SDK's suite checks ``toBeUndefined``)."""

from __future__ import annotations

from datetime import datetime, timezone


def iso8601(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(timestamp, tz=timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def compact(body: dict) -> dict:
    """``body`` without its None values (top level only: nested objects are data)."""
    return {key: value for key, value in body.items() if value is not None}
