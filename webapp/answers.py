"""Reading a learner's numeric prediction the way a person writes it.

"95.1%", "95,1", "1,500", "1 500 ms", "1.5 s" (for an answer in ms) and, for a percentage, the
fraction "0.951" all mean what their writer meant. Anything else is unreadable (None), which the
pages answer with "give a number like…", never with "wrong".
"""

from __future__ import annotations

import math
import re

MAX_ANSWER_LENGTH = 40

# A number (ASCII digits only: float() would also take "1_000" and Arabic-Indic digits), an optional
# exponent, then optionally a unit: "1,500.5 ms", "~95,1 %", "-3", ".5", "1e2".
_NUMBER = re.compile(r"^[~≈]?\s*([+-]?\.?[0-9][0-9.,'\u00a0\u202f ]*(?:[eE][+-]?[0-9]{1,3})?)\s*(.*)$")
_GROUPED = {",": re.compile(r"^[1-9]\d{0,2}(,\d{3})+$"), ".": re.compile(r"^[1-9]\d{0,2}(\.\d{3}){2,}$")}
# Units of time, in milliseconds: an answer in one converts to a question asked in another.
_TIME_MS = {"ms": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0, "sec": 1000.0, "secs": 1000.0,
            "second": 1000.0, "seconds": 1000.0, "min": 60_000.0, "minute": 60_000.0, "minutes": 60_000.0}
_PERCENT = ("%", "percent", "pc")


def read_number(text: str, unit: str = "") -> float | None:
    """The number `text` gives in the question's `unit`, or None when it cannot be read as one."""
    text = (text or "").strip()
    if not text or len(text) > MAX_ANSWER_LENGTH:
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    value = _plain_number(match.group(1))
    if value is None or not math.isfinite(value):
        return None
    converted = _in_unit(value, match.group(2).strip().lower(), unit.strip().lower())
    return None if converted is None else round(converted, 9)  # 0.951 × 100 is 95.1, not 95.10000000000001


def _plain_number(digits: str) -> float | None:
    digits = re.sub(r"['\u00a0\u202f ]", "", digits)  # 1 500, 1'500: spaces and apostrophes group digits
    sign = ""
    if digits[:1] in "+-":
        sign, digits = digits[0], digits[1:]
    if "," in digits and "." in digits:  # the separator written last is the decimal one
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        digits = digits.replace(grouping, "").replace(decimal, ".")
    elif "," in digits:  # 1,500 groups thousands; 95,1 and 0,951 are decimal commas
        digits = digits.replace(",", "") if _GROUPED[","].match(digits) else digits.replace(",", ".")
    elif _GROUPED["."].match(digits):  # 1.500.000
        digits = digits.replace(".", "")
    try:
        return float(sign + digits)
    except ValueError:
        return None


def _in_unit(value: float, given: str, wanted: str) -> float | None:
    if wanted in _PERCENT:
        if given in _PERCENT:
            return value
        if given:
            return None
        return value * 100 if abs(value) < 1 else value  # 0.951 is a fraction: 95.1 %
    if not given or given == wanted or given == wanted.split(" ")[0]:  # "threads", "per 100 orders"
        return value
    if given in _TIME_MS and wanted in _TIME_MS:
        return value * _TIME_MS[given] / _TIME_MS[wanted]
    return None
