"""Parameter declarations: parsing, validation and the permalink they produce."""

import pytest
from werkzeug.datastructures import MultiDict

from webapp.params import Choice, Float, Int, Multi, ParamError, Seed, Text, params

DEMO = params(
    Int("n", "Count", 5, 1, 10),
    Float("x", "Ratio", 0.5, 0.0, 1.0),
    Int("down_ms", "Down for", None, 0, 1000, step=100, unit="ms", never="never recovers"),
    Choice("mode", "Mode", "a", (("a", "A"), ("b", "B"))),
    Multi("show", "Show", ("a",), (("a", "A"), ("b", "B"), ("c", "C"))),
    Text("steps", "Steps", "", "sft", 5),
    Seed(),
)


def parse(**query):
    return DEMO.parse(MultiDict(query))


def test_missing_values_take_defaults_and_unknown_keys_are_ignored():
    assert parse(whatever="1") == DEMO.defaults()


def test_values_parse_to_their_kinds():
    got = parse(n="7", x="0.25", down_ms="300", mode="b", show="c,a", steps="sfs", seed="42")
    assert got == {"n": 7, "x": 0.25, "down_ms": 300, "mode": "b", "show": ("a", "c"),
                   "steps": "sfs", "seed": 42}


@pytest.mark.parametrize("raw", ["never", "1100", "never recovers"])
def test_never_is_the_notch_past_max(raw):
    assert parse(down_ms=raw)["down_ms"] is None


@pytest.mark.parametrize("name,raw,problem", [
    ("n", "abc", "not a whole number"), ("n", "2.5", "not a whole number"), ("n", "0", "out of range"),
    ("n", "11", "out of range"), ("x", "nan", "not a finite number"), ("x", "inf", "not a finite number"),
    ("x", "-0.1", "out of range"), ("n", "", "not a whole number"), ("down_ms", "1200", "out of range"),
    ("mode", "c", "not one of the choices"), ("show", "a,z", "not one of the choices"),
    ("steps", "sxf", "letter that is not allowed"), ("steps", "ssssss", "too long"),
    ("n", "9" * 300, "too long"),
])
def test_bad_values_name_the_parameter_and_the_allowed_range(name, raw, problem):
    with pytest.raises(ParamError) as err:
        parse(**{name: raw})
    assert err.value.param.name == name
    assert problem in err.value.problem
    assert str(err.value).startswith(f"{name}: ")
    assert "allowed" in str(err.value)


def test_a_repeated_parameter_is_an_error_but_multi_accepts_repeats():
    with pytest.raises(ParamError, match="more than once"):
        DEMO.parse(MultiDict([("n", "2"), ("n", "3")]))
    assert DEMO.parse(MultiDict([("show", "b"), ("show", "a")]))["show"] == ("a", "b")


def test_permalink_keeps_only_changed_values_and_round_trips():
    values = parse(n="7", down_ms="never", show="a,b")
    items = DEMO.query_items(values)
    assert items == [("n", "7"), ("show", "a,b")]
    assert DEMO.parse(MultiDict(items)) == values
    assert DEMO.query_items(values, prefix="d.")[0] == ("d.n", "7")


def test_export_is_json_ready():
    assert DEMO.export(DEMO.defaults())["show"] == ["a"]
    assert DEMO.export(DEMO.defaults())["down_ms"] is None
