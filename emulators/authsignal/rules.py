"""Rules, like those of Authsignal's portal, in a JSON format of our own.

Per action code, an ordered list of rules and a default outcome::

    {"cognitoAuth": {
        "rules": [
            {"when": {"knownDevice": true}, "outcome": "ALLOW"},
            {"when": {"ipAddressIn": ["203.0.113.7", "198.51.100.0/24"]}, "outcome": "BLOCK"},
            {"when": {"custom": {"plan": "trial"}}, "outcome": "CHALLENGE_REQUIRED"}
        ],
        "default": "CHALLENGE_REQUIRED"}}

The first rule whose every condition holds gives the outcome; else the
default. An action code without an entry is CHALLENGE_REQUIRED. Conditions:

- ``knownDevice`` (true/false): the tracked ``deviceId`` was seen before for
  this user in a successful sign-in (a validate that answered ``isValid:
  true`` for an action of this user tracked with that ``deviceId``);
- ``ipAddressIn`` (addresses or CIDR networks): the tracked ``ipAddress`` is one of them;
- ``custom`` (an object): each key of it equals the tracked ``custom`` attribute's.

A malformed file is refused with one line naming the problem.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

from .checks import ACTION_CODE

ALLOW = "ALLOW"
CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
BLOCK = "BLOCK"
REVIEW_REQUIRED = "REVIEW_REQUIRED"
OUTCOMES = (ALLOW, CHALLENGE_REQUIRED, BLOCK, REVIEW_REQUIRED)
CONDITIONS = ("knownDevice", "ipAddressIn", "custom")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Facts:
    """What the rules look at, for one tracked action."""

    known_device: bool = False
    ip_address: str | None = None
    custom: dict | None = None


@dataclass(frozen=True)
class Rule:
    known_device: bool | None = None
    networks: tuple[Network, ...] | None = None
    custom: dict | None = None
    outcome: str = CHALLENGE_REQUIRED

    def holds(self, facts: Facts) -> bool:
        if self.known_device is not None and facts.known_device != self.known_device:
            return False
        if self.networks is not None and not _in_networks(facts.ip_address, self.networks):
            return False
        if self.custom is not None:
            tracked = facts.custom if isinstance(facts.custom, dict) else {}
            if any(key not in tracked or tracked[key] != value for key, value in self.custom.items()):
                return False
        return True


@dataclass(frozen=True)
class ActionRules:
    rules: tuple[Rule, ...] = ()
    default: str = CHALLENGE_REQUIRED


@dataclass(frozen=True)
class RuleSet:
    actions: dict[str, ActionRules] = field(default_factory=dict)

    def outcome(self, action: str, facts: Facts) -> str:
        entry = self.actions.get(action)
        if entry is None:
            return CHALLENGE_REQUIRED
        for rule in entry.rules:
            if rule.holds(facts):
                return rule.outcome
        return entry.default

    def __bool__(self) -> bool:
        return bool(self.actions)


def _in_networks(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not isinstance(address, str):
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def load_rules(path: str | Path) -> RuleSet:
    """Read and check a rules file; ValueError says, in one line, what is wrong and where."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the rules file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: the rules file is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    try:
        return parse_rules(document)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def parse_rules(document: object) -> RuleSet:
    if not isinstance(document, dict):
        raise ValueError('expected a JSON object of action codes, e.g. {"cognitoAuth": {"rules": [...], "default": "CHALLENGE_REQUIRED"}}')
    actions = {}
    for action, entry in document.items():
        if not ACTION_CODE.match(action):
            raise ValueError(f"{action!r} is not a valid action code (^[a-zA-Z0-9_-]{{1,64}}$)")
        actions[action] = _parse_action(action, entry)
    return RuleSet(actions)


def _parse_action(where: str, entry: object) -> ActionRules:
    if not isinstance(entry, dict):
        raise ValueError(f'{where}: expected an object with "rules" and "default"')
    _no_unknown_keys(where, entry, ("rules", "default"))
    rules = entry.get("rules", [])
    if not isinstance(rules, list):
        raise ValueError(f"{where}.rules: expected a list of rules")
    default = _outcome(f"{where}.default", entry.get("default", CHALLENGE_REQUIRED))
    return ActionRules(tuple(_parse_rule(f"{where}.rules[{i}]", rule) for i, rule in enumerate(rules)), default)


def _parse_rule(where: str, rule: object) -> Rule:
    if not isinstance(rule, dict):
        raise ValueError(f'{where}: expected an object with "when" and "outcome"')
    _no_unknown_keys(where, rule, ("when", "outcome"))
    if "outcome" not in rule:
        raise ValueError(f'{where}: "outcome" is missing')
    outcome = _outcome(f"{where}.outcome", rule["outcome"])
    when = rule.get("when")
    if not isinstance(when, dict):
        raise ValueError(f'{where}.when: expected an object of conditions ({", ".join(CONDITIONS)})')
    for name in when:
        if name not in CONDITIONS:
            raise ValueError(f"{where}.when: unknown condition {name!r} (conditions: {', '.join(CONDITIONS)})")
    known_device = when.get("knownDevice")
    if "knownDevice" in when and not isinstance(known_device, bool):
        raise ValueError(f"{where}.when.knownDevice: expected true or false")
    networks = None
    if "ipAddressIn" in when:
        networks = _networks(f"{where}.when.ipAddressIn", when["ipAddressIn"])
    custom = when.get("custom")
    if "custom" in when and not isinstance(custom, dict):
        raise ValueError(f"{where}.when.custom: expected an object of custom attribute values")
    return Rule(known_device=known_device, networks=networks, custom=custom, outcome=outcome)


def _networks(where: str, value: object) -> tuple[Network, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: expected a non-empty list of IP addresses or CIDR networks")
    networks = []
    for item in value:
        try:
            if not isinstance(item, str):
                raise ValueError
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{where}: {item!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _outcome(where: str, value: object) -> str:
    if value not in OUTCOMES:
        raise ValueError(f"{where}: unknown outcome {value!r} (outcomes: {', '.join(OUTCOMES)})")
    return value


def _no_unknown_keys(where: str, obj: dict, known: tuple[str, ...]) -> None:
    for key in obj:
        if key not in known:
            raise ValueError(f"{where}: unknown key {key!r} (expected {', '.join(known)})")
