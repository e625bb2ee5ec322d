"""Who a rate limit counts: a client (an IPv4 address, or an IPv6 /64, which
one subscriber usually holds whole), an email address, and everyone together
for the creation of new Cognito users.

Silent sign-up creates a Cognito user for any email typed in, so these limits
are the app's brake on abuse; Cognito's own quotas and AWS WAF on the pool
remain the outer defence.
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import request
from limits import parse_many

#: The key under which new-user creations are counted, for all clients together.
NEW_USERS_KEY = "new-users"


def client_key() -> str:
    """The client's address (after ProxyFix, with BEHIND_PROXY=true), with an
    IPv6 address reduced to its /64 network."""
    address = request.remote_addr or "127.0.0.1"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def email_key() -> str:
    """The email a sign-in is for, as the view will normalise it (case-folded)."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return "email:"
    return "email:" + email.strip().lower()[:320]


class NewUserBudget:
    """How many new users may still be created now: checked before a silent
    sign-up, counted once Cognito has created one."""

    def __init__(self, limiter, limit_text: str):
        self._limiter = limiter
        self._limits = parse_many(limit_text)

    def available(self) -> bool:
        return all(self._strategy().test(limit, NEW_USERS_KEY) for limit in self._limits)

    def count_one(self) -> None:
        for limit in self._limits:
            self._strategy().hit(limit, NEW_USERS_KEY)

    def seconds_until_available(self) -> int:
        waits = []
        for limit in self._limits:
            stats = self._strategy().get_window_stats(limit, NEW_USERS_KEY)
            if stats.remaining <= 0:
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits, default=1)))

    def _strategy(self):
        return self._limiter.limiter
