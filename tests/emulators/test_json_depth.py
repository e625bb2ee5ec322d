"""The shared depth-limited JSON parser."""

from __future__ import annotations

import pytest

from emulators.json_depth import MAX_DEPTH, TooDeeplyNested, loads


def test_the_limit_is_32_levels_of_arrays_and_objects():
    assert MAX_DEPTH == 32
    assert loads("[" * 16 + '{"a": ' * 16 + "1" + "}" * 16 + "]" * 16)
    with pytest.raises(TooDeeplyNested, match="more than 32 levels"):
        loads("[" * 16 + '{"a": ' * 17 + "1" + "}" * 17 + "]" * 16)


@pytest.mark.parametrize("text", ["[" * 1_000_000, "{" * 1_000_000, '{"a":' * 1_000_000])
def test_a_huge_depth_is_refused_without_recursion(text):
    with pytest.raises(TooDeeplyNested):
        loads(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ('["' + "[" * 40 + '"]', ["[" * 40]),
        ('["\\\\", ["\\"["]]', ["\\", ['"[']]),
        ('{"[{": "}]"}', {"[{": "}]"}),
    ],
)
def test_brackets_in_strings_do_not_nest(text, value):
    assert loads(text) == value
    assert loads(text.encode("utf-16")) == value


@pytest.mark.parametrize("text", ["[", "{", '"[[[', "]]]", b"\xff\xfe\xff"])
def test_malformed_json_is_still_a_value_error(text):
    with pytest.raises(ValueError):
        loads(text)
