"""What every library renderer shares: the rendered configuration and the ways of writing a duration."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

# libyaml's emitter when PyYAML was built with it: ten times faster than the pure-Python one.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class Rendered:
    """A configuration: its text, the language to label it with, and one line per setting that does
    not map exactly (what the library does instead, and the nearest value)."""

    text: str
    syntax: str  # "python" | "yaml" | "json" | "java" | "go" | "ini"
    notes: list[str] = field(default_factory=list)


def number(x: float) -> str:
    """12, 0.1, 2.5: no trailing zeros, no exponent."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def seconds(ms: float) -> str:
    """A Python float of seconds: 100 ms -> '0.1'."""
    return number(ms / 1000) if ms % 1000 else f"{ms / 1000:.1f}"


def proto_duration(ms: float) -> str:
    """proto3 JSON Duration (gRPC service config, Envoy): 100 ms -> '0.1s', 2 s -> '2s'."""
    return number(ms / 1000) + "s"


def spring_duration(ms: float) -> str:
    """Spring Boot's Duration format: 500 ms -> '500ms', 60 s -> '60s'."""
    ms = round(ms)
    return f"{ms // 1000}s" if ms and ms % 1000 == 0 else f"{ms}ms"


def timespan(ms: float) -> str:
    """.NET TimeSpan text (what Polly's options bind from JSON): 2 s -> '00:00:02', 0.1 s -> '00:00:00.1000000'."""
    ticks = round(ms * 10_000)  # a tick is 100 ns
    whole, frac = divmod(ticks, 10_000_000)
    hours, rest = divmod(whole, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + (f".{frac:07d}" if frac else "")


def go_duration(ms: float) -> str:
    """A Go time.Duration expression: 100 ms -> '100 * time.Millisecond'."""
    ms = round(ms)
    if ms and ms % 1000 == 0:
        return f"{ms // 1000} * time.Second"
    return f"{ms} * time.Millisecond"


def comment_block(lines: list[str], prefix: str) -> str:
    return "\n".join(f"{prefix} {line}".rstrip() for line in lines)


def worst_case_ms(retry, timeout_ms: float | None) -> float | None:
    """How long every attempt timing out takes, waits included: the deadline a library that only has a
    whole-call timeout needs so that it never cuts the last attempt short."""
    if timeout_ms is None:
        return None
    attempts = retry.attempts if retry else 1
    waits = sum(retry.ceiling(n) for n in range(attempts - 1)) if retry else 0
    return attempts * timeout_ms + waits


def yaml_text(document: dict) -> str:
    return yaml.dump(document, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False)
