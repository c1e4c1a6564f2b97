"""Demo parameters, declared once.

A demo lists its parameters as `Param`s. That one declaration drives parsing and validation of the
query string, the slider form, the permalink, the JSON/CSV export and the parameter table under
each demo. Nothing here knows about Flask: `parse` takes any mapping with `getlist`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

# Longest raw value we even look at: keeps error messages and parsing cheap for hostile input.
MAX_RAW_LENGTH = 200


class ParamError(ValueError):
    """A parameter the user sent cannot be used. `str()` is a sentence fit to show the user."""

    def __init__(self, param: "Param", received: str, problem: str, allowed: str | None = None):
        self.param, self.received, self.problem = param, received, problem
        self.allowed = allowed or param.allowed()  # a combination rule says what it allows instead
        shown = received if len(received) <= 40 else received[:40] + "…"
        super().__init__(f"{param.name}: {problem} (received {shown!r}; allowed: {self.allowed})")


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: Any
    help: str = ""
    kind: str = "int"  # "int" | "float" | "choice" | "multi" | "text"
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float = 1
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for "choice" and "multi"
    # For a duration that may be infinite: the slider's notch past `max` means "never" (value None).
    never: str | None = None
    # For "text": the letters allowed (a step-by-step script such as "sfft"); `max` is its length.
    alphabet: str = ""
    widget: str = ""  # "" picks by kind (slider, radios, checkboxes, text); "number" for a plain box

    # ---- parsing ---------------------------------------------------------------------------
    def parse(self, raw: str) -> Any:
        raw = raw.strip()
        if len(raw) > MAX_RAW_LENGTH:
            raise ParamError(self, raw, "value too long")
        if self.kind in ("choice", "multi"):
            return self._parse_choice(raw)
        if self.kind == "text":
            return self._parse_text(raw)
        if self.never and raw.lower() in ("never", self.never.lower(), self._never_position()):
            return None
        try:
            number = float(raw) if self.kind == "float" else int(raw)
        except ValueError:
            raise ParamError(self, raw, f"not {'a number' if self.kind == 'float' else 'a whole number'}") from None
        if not math.isfinite(number):
            raise ParamError(self, raw, "not a finite number")
        if not self.min <= number <= self.max:
            raise ParamError(self, raw, "out of range")
        return number

    def _parse_choice(self, raw: str) -> Any:
        values = [v.strip() for v in raw.split(",") if v.strip()] if self.kind == "multi" else [raw]
        known = {value for value, _ in self.choices}
        for value in values:
            if value not in known:
                raise ParamError(self, raw, "not one of the choices")
        if self.kind == "choice":
            return values[0]
        if not values:
            raise ParamError(self, raw, "choose at least one")
        return tuple(v for v, _ in self.choices if v in values)  # declaration order, no repeats

    def _parse_text(self, raw: str) -> str:
        if len(raw) > self.max:
            raise ParamError(self, raw, "too long")
        if any(ch not in self.alphabet for ch in raw):
            raise ParamError(self, raw, "has a letter that is not allowed")
        return raw

    # ---- presentation ----------------------------------------------------------------------
    def allowed(self) -> str:
        if self.kind in ("choice", "multi"):
            many = "one or more of " if self.kind == "multi" else "one of "
            return many + ", ".join(v for v, _ in self.choices)
        if self.kind == "text":
            return f"up to {_num(self.max)} of the letters {', '.join(self.alphabet)}"
        text = f"{_num(self.min)} to {_num(self.max)}"
        text += f" {self.unit}" if self.unit else ""
        return text + (" or 'never'" if self.never else "")

    def to_text(self, value: Any) -> str:
        """The value as it appears in a URL or a CSV cell."""
        if value is None:
            return "never"
        if self.kind == "multi":
            return ",".join(value)
        return _num(value) if isinstance(value, (int, float)) else str(value)

    def display(self, value: Any) -> str:
        """The value as a person reads it: '1,500 ms', 'never recovers', 'Full jitter'."""
        if value is None:
            return self.never or "never"
        if self.kind in ("choice", "multi"):
            labels = dict(self.choices)
            picked = value if self.kind == "multi" else (value,)
            return ", ".join(labels[v] for v in picked)
        if self.kind == "text":
            return value or "(none yet)"
        return f"{value:,}{(' ' + self.unit) if self.unit else ''}"

    def slider_max(self) -> float:
        """The range input's max: one step past `max` when that last notch means 'never'."""
        return self.max + self.step if self.never else self.max

    def slider_value(self, value: Any) -> float:
        return self.slider_max() if value is None else value

    def _never_position(self) -> str:
        return _num(self.slider_max())


def Int(name, label, default, lo, hi, *, step=1, unit="", help="", never=None, widget="") -> Param:
    return Param(name, label, default, help, "int", unit, lo, hi, step, never=never, widget=widget)


def Float(name, label, default, lo, hi, *, step=0.1, unit="", help="") -> Param:
    return Param(name, label, default, help, "float", unit, lo, hi, step)


def Choice(name, label, default, choices, *, help="") -> Param:
    return Param(name, label, default, help, "choice", choices=tuple(choices))


def Multi(name, label, default, choices, *, help="") -> Param:
    return Param(name, label, tuple(default), help, "multi", choices=tuple(choices))


def Text(name, label, default, alphabet, max_length, *, help="") -> Param:
    """A short script of letters, e.g. the steps of a click-through demo; empty is allowed."""
    return Param(name, label, default, help, "text", max=max_length, alphabet=alphabet)


def Seed(default=1) -> Param:
    return Param("seed", "Random seed", default, "Same seed, same run: change it to see another random draw.",
                 "int", min=0, max=1_000_000, widget="number")


@dataclass(frozen=True)
class ParamSet:
    """The parameters of one demo, in display order."""

    params: tuple[Param, ...]
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})

    def __iter__(self):
        return iter(self.params)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def parse(self, query: Mapping, prefix: str = "") -> dict:
        """Resolve every parameter from `query` (a MultiDict); unknown keys are ignored.

        Raises ParamError for the first bad one. A parameter given twice is an error unless it is
        a multi-choice, because silently picking one of two values hides a broken link.
        """
        values = self.defaults()
        for p in self.params:
            raws = query.getlist(prefix + p.name)
            if not raws:
                continue
            if p.kind == "multi":
                values[p.name] = p.parse(",".join(raws))
            elif len(raws) > 1:
                raise ParamError(p, ", ".join(raws)[:MAX_RAW_LENGTH], "given more than once")
            else:
                values[p.name] = p.parse(raws[0])
        return values

    def query_items(self, values: Mapping, prefix: str = "", changed_only: bool = True) -> list:
        """(key, text) pairs for a permalink; defaults are left out to keep links short."""
        return [(prefix + p.name, p.to_text(values[p.name])) for p in self.params
                if not (changed_only and values[p.name] == p.default)]

    def export(self, values: Mapping) -> dict:
        """Values for JSON: tuples become lists, 'never' stays None."""
        return {p.name: list(v) if isinstance(v := values[p.name], tuple) else v for p in self.params}


def params(*items: Iterable[Param]) -> ParamSet:
    return ParamSet(tuple(items))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
