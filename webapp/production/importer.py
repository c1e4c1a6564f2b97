"""Your configuration in the lab: a pasted gRPC service config, Envoy retry_policy, resilience4j YAML or
Polly options, read into the demo that shows it, each field reported as mapped or not modelled.

Only `json.loads` and `yaml.safe_load` read the text (no tags, no objects, nothing executed), and at
most MAX_BYTES of it. A field of the wrong type or out of the library's own range is a ConfigError
naming the field; a value the library allows but the demo's slider cannot show is clamped, and says so.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import yaml

from .resilience4j import half_open_successes

MAX_BYTES = 64 * 1024
FORMATS = {
    "grpc": "gRPC service config (JSON)",
    "envoy": "Envoy retry_policy (YAML)",
    "resilience4j": "resilience4j, Spring Boot (YAML)",
    "polly": "Polly v8 options (JSON)",
}


class ConfigError(ValueError):
    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}")


@dataclass
class Field:
    path: str  # where it is in the pasted text: retryPolicy.maxAttempts
    value: str  # as pasted
    mapped: bool
    detail: str  # "max_attempts = 5", or why it is not modelled


@dataclass
class Imported:
    format: str
    demo_id: str
    values: dict  # the demo parameters this configuration sets
    fields: list[Field] = field(default_factory=list)


class _Reader:
    """Collects the demo values and the account of every field, clamping to the demo's ranges."""

    def __init__(self, fmt: str, demo_id: str):
        from ..demos import REGISTRY

        self.demo = REGISTRY[demo_id]
        self.result = Imported(fmt, demo_id, {})

    def set(self, path: str, raw, param: str, value, how: str = "") -> None:
        p = self.demo.params.by_name[param]
        detail = ""
        if p.kind in ("int", "float"):
            value = round(value) if p.kind == "int" else float(value)
            if value < p.min or value > p.max:
                bound = p.min if value < p.min else p.max
                detail = f" (clamped: the demo's {'minimum' if value < p.min else 'maximum'} is {p.display(bound)})"
                value = round(bound) if p.kind == "int" else float(bound)
        self.result.values[param] = value
        shown = p.display(value)
        self.result.fields.append(Field(path, _show(raw), True, f"{param} = {shown}{detail}" + (f"; {how}" if how else "")))

    def skip(self, path: str, raw, why: str) -> None:
        self.result.fields.append(Field(path, _show(raw), False, why))


def _show(raw) -> str:
    if raw is None:
        return "(not set)"
    text = raw if isinstance(raw, str) else _brief(raw, [80])
    return text if len(text) <= 80 else text[:80] + "…"


def _brief(raw, budget: list) -> str:
    """JSON-like text of at most ~budget characters: YAML aliases can make a small text a huge tree,
    so nothing here walks more of it than it prints."""
    if budget[0] <= 0:
        return "…"
    if isinstance(raw, dict):
        parts = []
        for key, value in raw.items():
            if budget[0] <= 0:
                parts.append("…")
                break
            part = f"{json.dumps(str(key))}: {_brief(value, budget)}"
            budget[0] -= len(part)
            parts.append(part)
        return "{" + ", ".join(parts) + "}"
    if isinstance(raw, list):
        parts = []
        for value in raw:
            if budget[0] <= 0:
                parts.append("…")
                break
            part = _brief(value, budget)
            budget[0] -= len(part)
            parts.append(part)
        return "[" + ", ".join(parts) + "]"
    text = json.dumps(raw, default=str)
    budget[0] -= len(text)
    return text


# ---- reading the text ------------------------------------------------------------------------

def load(text: str, fmt: str = "auto") -> Imported:
    if len(text.encode()) > MAX_BYTES:
        raise ConfigError("config", f"longer than {MAX_BYTES // 1024} KB")
    if not text.strip():
        raise ConfigError("config", "empty: paste a configuration")
    if fmt not in ("auto", *FORMATS):
        raise ConfigError("format", f"not one of auto, {', '.join(FORMATS)}")
    doc = _parse(text, fmt)
    if fmt == "auto":
        fmt = _detect(doc)
    return {"grpc": _grpc, "envoy": _envoy, "resilience4j": _resilience4j, "polly": _polly}[fmt](doc)


def _parse(text: str, fmt: str):
    if fmt in ("grpc", "polly"):
        return _json(text)
    if fmt == "auto" and text.lstrip()[:1] in "{[":
        return _json(text)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError("config", f"not valid YAML{where}: {getattr(err, 'problem', None) or err}") from None
    if not isinstance(doc, dict):
        raise ConfigError("config", "expected a mapping of settings at the top")
    return doc


def _json(text: str):
    def no_constants(name):
        raise ConfigError("config", f"{name} is not a JSON number")

    try:
        doc = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as err:
        raise ConfigError("config", f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
    if not isinstance(doc, dict):
        raise ConfigError("config", "expected a JSON object at the top")
    return doc


def _detect(doc: dict) -> str:
    keys = {k.lower() if isinstance(k, str) else k for k in doc}
    if keys & {"methodconfig", "retrypolicy", "retrythrottling"}:
        return "grpc"
    if keys & {"resilience4j", "instances"} or (keys & {"retry", "circuitbreaker", "timelimiter", "bulkhead"}
                                                 and any(isinstance(v, dict) and ("instances" in v or "configs" in v)
                                                         for v in doc.values())):
        return "resilience4j"
    if _find(doc, "retry_policy") is not None or keys & {"num_retries", "retry_back_off", "retry_on"}:
        return "envoy"
    if keys & {"retry", "circuitbreaker", "timeout", "totaltimeout", "maxretryattempts", "failureratio"}:
        return "polly"
    raise ConfigError("config", "not recognised: paste a gRPC service config, an Envoy retry_policy, a "
                                "resilience4j configuration or Polly options, or choose the format")


def _find(doc, key: str, depth: int = 0, seen: set | None = None):
    """The first value under `key` anywhere in the document. A YAML alias makes a shared node, not a
    copy, so visiting each node once keeps this linear in the text however the aliases nest."""
    seen = set() if seen is None else seen
    if id(doc) in seen or depth > 20:
        return None
    seen.add(id(doc))
    if isinstance(doc, dict):
        if key in doc:
            return doc[key]
        children = doc.values()
    elif isinstance(doc, list):
        children = doc
    else:
        return None
    for child in children:
        found = _find(child, key, depth + 1, seen)
        if found is not None:
            return found
    return None


# ---- values ----------------------------------------------------------------------------------

def _int(path: str, raw, lo: int | None = None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or raw != int(raw):
        raise ConfigError(path, f"must be a whole number (received {_show(raw)})")
    if lo is not None and raw < lo:
        raise ConfigError(path, f"must be at least {lo} (received {_show(raw)})")
    return int(raw)


def _number(path: str, raw, above: float | None = None, at_most: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ConfigError(path, f"must be a number (received {_show(raw)})")
    if above is not None and raw <= above:
        raise ConfigError(path, f"must be above {above:g} (received {_show(raw)})")
    if at_most is not None and raw > at_most:
        raise ConfigError(path, f"must be at most {at_most:g} (received {_show(raw)})")
    return float(raw)


def _bool(path: str, raw) -> bool:
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if not isinstance(raw, bool):
        raise ConfigError(path, f"must be true or false (received {_show(raw)})")
    return raw


def _dict(path: str, raw) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"must be an object of settings (received {_show(raw)})")
    return raw


_PROTO = re.compile(r"^(\d*\.?\d+)s$")


def _proto_ms(path: str, raw) -> float:
    """A proto3 JSON Duration ('0.1s'); Envoy's YAML also allows {seconds, nanos}."""
    if isinstance(raw, dict) and set(raw) <= {"seconds", "nanos"}:
        return _int(path + ".seconds", raw.get("seconds", 0), 0) * 1000 + _int(path + ".nanos", raw.get("nanos", 0), 0) / 1e6
    if not isinstance(raw, str) or not _PROTO.match(raw.strip()):
        raise ConfigError(path, f"must be a duration in seconds such as \"0.1s\" (received {_show(raw)})")
    return float(raw.strip()[:-1]) * 1000


_SPRING = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$", re.I)
_ISO = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def _spring_ms(path: str, raw) -> float:
    """Spring Boot's Duration: 500 (ms), '500ms', '10s', '1m', or ISO-8601 'PT0.5S'."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _number(path, raw, -1e-9)
    if isinstance(raw, str):
        text = raw.strip()
        if m := _SPRING.match(text):
            return float(m[1]) * _UNIT_MS[(m[2] or "ms").lower()]
        if (m := _ISO.match(text)) and any(m.groups()):
            h, mi, s = (float(g or 0) for g in m.groups())
            return (h * 3600 + mi * 60 + s) * 1000
    raise ConfigError(path, f"must be a duration such as 500ms, 10s or PT0.5S (received {_show(raw)})")


_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$")


def _timespan_ms(path: str, raw) -> float:
    """.NET TimeSpan text, as configuration binds it: '00:00:02', '00:00:00.1000000', '1.00:00:00'."""
    m = _TIMESPAN.match(raw.strip()) if isinstance(raw, str) else None
    if not m or int(m[3]) > 59 or int(m[4]) > 59:
        raise ConfigError(path, f"must be a TimeSpan such as \"00:00:02\" (received {_show(raw)})")
    days, hours, minutes, secs = int(m[1] or 0), int(m[2]), int(m[3]), int(m[4])
    frac = int((m[5] or "0").ljust(7, "0")) / 1e4
    return (((days * 24 + hours) * 60 + minutes) * 60 + secs) * 1000 + frac


def _leftovers(reader: _Reader, section: dict, prefix: str, used: set, why: str) -> None:
    for key, raw in section.items():
        if key not in used:
            reader.skip(f"{prefix}{key}", raw, why)


# ---- gRPC ------------------------------------------------------------------------------------

def _grpc(doc: dict) -> Imported:
    methods = doc.get("methodConfig", [])
    if not isinstance(methods, list) or not all(isinstance(m, dict) for m in methods):
        raise ConfigError("methodConfig", "must be a list of method configs")
    if "retryPolicy" in doc:  # a bare retryPolicy pasted on its own
        methods = [{"retryPolicy": doc["retryPolicy"]}]
    chosen = next((i for i, m in enumerate(methods) if "retryPolicy" in m), None)
    if chosen is None:
        chosen = next((i for i, m in enumerate(methods) if "timeout" in m), None)
    if chosen is None:
        raise ConfigError("methodConfig", "no method config with a retryPolicy or a timeout")
    method, at = methods[chosen], f"methodConfig[{chosen}]."
    if "retryPolicy" not in method:
        reader = _Reader("grpc", "timeout-tradeoff")
        reader.set(at + "timeout", method["timeout"], "timeout_ms", _proto_ms(at + "timeout", method["timeout"]),
                   "with no retries the method timeout is the call's only timeout")
    else:
        reader = _Reader("grpc", "backoff-timeline")
        rp, rat = _dict(at + "retryPolicy", method["retryPolicy"]), at + "retryPolicy."
        for required in ("maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier", "retryableStatusCodes"):
            if required not in rp:
                raise ConfigError(rat + required, "required in a retryPolicy (gRFC A6 has no defaults)")
        attempts = _int(rat + "maxAttempts", rp["maxAttempts"])
        if attempts <= 1:
            raise ConfigError(rat + "maxAttempts", f"must be above 1 (received {attempts})")
        reader.set(rat + "maxAttempts", rp["maxAttempts"], "max_attempts", min(attempts, 5),
                   "values above 5 are treated as 5" if attempts > 5 else "counts the first call")
        base = _proto_ms(rat + "initialBackoff", rp["initialBackoff"])
        cap = _proto_ms(rat + "maxBackoff", rp["maxBackoff"])
        if base <= 0 or cap <= 0:
            raise ConfigError(rat + ("initialBackoff" if base <= 0 else "maxBackoff"), "must be above 0s")
        reader.set(rat + "initialBackoff", rp["initialBackoff"], "base_ms", base)
        reader.set(rat + "maxBackoff", rp["maxBackoff"], "cap_ms", cap)
        reader.set(rat + "backoffMultiplier", rp["backoffMultiplier"], "multiplier",
                   _number(rat + "backoffMultiplier", rp["backoffMultiplier"], 0))
        codes = rp["retryableStatusCodes"]
        if not isinstance(codes, list) or not codes:
            raise ConfigError(rat + "retryableStatusCodes", "must be a non-empty list of status codes")
        reader.skip(rat + "retryableStatusCodes", codes, "not modelled: every failure in the demo is retryable")
        reader.set("(gRPC's jitter)", "×random(0.8, 1.2)", "jitter", "none",
                   "gRPC's ±20 % spread is not a setting; no jitter is its centre")
        _leftovers(reader, rp, rat, {"maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier",
                                     "retryableStatusCodes"}, "not modelled")
        if "timeout" in method:
            _proto_ms(at + "timeout", method["timeout"])
            reader.skip(at + "timeout", method["timeout"], "not modelled here: the backoff demo has no deadline "
                        "(timeout-retry-budget shows one)")
    _leftovers(reader, method, at, {"retryPolicy", "timeout"}, "not modelled")
    for key, raw in doc.items():
        if key == "retryThrottling":
            reader.skip(key, raw, "not modelled here: the retry-budget demo compares token buckets")
        elif key not in ("methodConfig", "retryPolicy"):
            reader.skip(key, raw, "not modelled")
    for i, m in enumerate(methods):
        if i != chosen:
            reader.skip(f"methodConfig[{i}]", m, "not imported: the demo shows one method's policy")
    return reader.result


# ---- Envoy -----------------------------------------------------------------------------------

def _envoy(doc: dict) -> Imported:
    policy = _find(doc, "retry_policy")
    if policy is None:
        policy = doc
    policy = _dict("retry_policy", policy)
    reader, at = _Reader("envoy", "backoff-timeline"), "retry_policy."
    retries = _int(at + "num_retries", policy.get("num_retries", 1), 0)
    reader.set(at + "num_retries", policy.get("num_retries"), "max_attempts", retries + 1,
               "num_retries counts retries only: attempts = num_retries + 1" + ("" if "num_retries" in policy else
                                                                                 "; Envoy's default is 1"))
    back_off = _dict(at + "retry_back_off", policy.get("retry_back_off", {}))
    bat = at + "retry_back_off."
    base = _proto_ms(bat + "base_interval", back_off["base_interval"]) if "base_interval" in back_off else 25
    if base <= 0:
        raise ConfigError(bat + "base_interval", "must be above 0s")
    cap = _proto_ms(bat + "max_interval", back_off["max_interval"]) if "max_interval" in back_off else 10 * base
    if cap < base:
        raise ConfigError(bat + "max_interval", "must be at least base_interval")
    reader.set(bat + "base_interval", back_off.get("base_interval"), "base_ms", base,
               "" if "base_interval" in back_off else "Envoy's default is 25 ms")
    reader.set(bat + "max_interval", back_off.get("max_interval"), "cap_ms", cap,
               "" if "max_interval" in back_off else "Envoy's default is 10 × base_interval")
    reader.set("(Envoy's growth)", "(2ⁿ − 1) × base", "multiplier", 2.0,
               "Envoy's ceilings grow 1, 3, 7 × base; doubling is the nearest")
    reader.set("(Envoy's jitter)", "uniform[0, ceiling)", "jitter", "full", "Envoy always draws from 0")
    _leftovers(reader, back_off, bat, {"base_interval", "max_interval"}, "not modelled")
    for key, raw in policy.items():
        if key == "retry_on":
            reader.skip(at + key, raw, "not modelled: every failure in the demo is retryable")
        elif key == "per_try_timeout":
            _proto_ms(at + key, raw)
            reader.skip(at + key, raw, "not modelled here: the backoff demo's attempts fail at once "
                        "(timeout-retry-budget shows per-attempt timeouts)")
        elif key not in ("num_retries", "retry_back_off"):
            reader.skip(at + key, raw, "not modelled")
    return reader.result


# ---- resilience4j ----------------------------------------------------------------------------

def _instance(root: dict, kind: str) -> tuple[str, dict, list[str]] | None:
    section = root.get(kind)
    if section is None:
        return None
    section = _dict(kind, section)
    for group in ("instances", "configs"):
        if group in section:
            entries = _dict(f"{kind}.{group}", section[group])
            if not entries:
                raise ConfigError(f"{kind}.{group}", "has no entries")
            name = next(iter(entries))
            return f"{kind}.{group}.{name}.", _dict(f"{kind}.{group}.{name}", entries[name] or {}), \
                [f"{kind}.{group}.{n}" for n in list(entries)[1:]]
    raise ConfigError(kind, "expected instances: or configs: with named settings")


def _resilience4j(doc: dict) -> Imported:
    root = _dict("resilience4j", doc.get("resilience4j", doc))
    found = {kind: _instance(root, kind) for kind in ("retry", "circuitbreaker", "timelimiter", "bulkhead")}
    if found["retry"]:
        reader = _Reader("resilience4j", "backoff-timeline")
        _r4j_retry(reader, *found["retry"][:2])
    elif found["circuitbreaker"]:
        reader = _Reader("resilience4j", "breaker-timeline")
        _r4j_breaker(reader, *found["circuitbreaker"][:2])
        if found["timelimiter"]:
            at, conf, _ = found.pop("timelimiter")
            _r4j_timeout(reader, at, conf)
    elif found["timelimiter"]:
        reader = _Reader("resilience4j", "timeout-tradeoff")
        at, conf, _ = found.pop("timelimiter")
        _r4j_timeout(reader, at, conf)
    elif found["bulkhead"]:
        reader = _Reader("resilience4j", "bulkhead")
        _r4j_bulkheads(reader, root)
        found.pop("bulkhead")
    else:
        raise ConfigError("resilience4j", "no retry, circuitbreaker, timelimiter or bulkhead settings")
    shown = reader.demo.id
    for kind, entry in found.items():
        if entry is None:
            continue
        at, conf, others = entry
        if (kind == "retry" and shown == "backoff-timeline") or (kind == "circuitbreaker" and shown == "breaker-timeline"):
            for other in others:
                reader.skip(other, "…", "not imported: the demo shows one instance")
            continue
        reader.skip(at.rstrip("."), conf, f"not modelled in {shown}: paste it alone to open its own demo"
                    if kind != "bulkhead" else "not modelled: the bulkhead demo has three pools; set them there")
    for key, raw in root.items():
        if key not in ("retry", "circuitbreaker", "timelimiter", "bulkhead"):
            reader.skip(key, raw, "not modelled")
    return reader.result


def _r4j_retry(reader: _Reader, at: str, conf: dict) -> None:
    attempts = _int(at + "maxAttempts", conf.get("maxAttempts", 3), 1)
    reader.set(at + "maxAttempts", conf.get("maxAttempts"), "max_attempts", attempts,
               "counts the first call" + ("" if "maxAttempts" in conf else "; resilience4j's default is 3"))
    wait = _spring_ms(at + "waitDuration", conf.get("waitDuration", 500))
    reader.set(at + "waitDuration", conf.get("waitDuration"), "base_ms", wait,
               "" if "waitDuration" in conf else "resilience4j's default is 500 ms")
    exponential = _bool(at + "enableExponentialBackoff", conf.get("enableExponentialBackoff", False))
    if exponential:
        m = _number(at + "exponentialBackoffMultiplier", conf.get("exponentialBackoffMultiplier", 1.5), 0)
        reader.set(at + "exponentialBackoffMultiplier", conf.get("exponentialBackoffMultiplier"), "multiplier", m,
                   "" if "exponentialBackoffMultiplier" in conf else "resilience4j's default is 1.5")
        if "exponentialMaxWaitDuration" in conf:
            reader.set(at + "exponentialMaxWaitDuration", conf["exponentialMaxWaitDuration"], "cap_ms",
                       _spring_ms(at + "exponentialMaxWaitDuration", conf["exponentialMaxWaitDuration"]))
        else:
            reader.set(at + "exponentialMaxWaitDuration", None, "cap_ms", 60_000,
                       "no cap in resilience4j; nearest: the demo's largest")
    else:
        reader.set(at + "enableExponentialBackoff", conf.get("enableExponentialBackoff"), "multiplier", 1.0,
                   "a fixed wait")
    if _bool(at + "enableRandomizedWait", conf.get("enableRandomizedWait", False)):
        factor = _number(at + "randomizedWaitFactor", conf.get("randomizedWaitFactor", 0.5), -1e-9, 1)
        jitter = "equal" if factor < 0.75 else "full"
        reader.set(at + "randomizedWaitFactor", conf.get("randomizedWaitFactor"), "jitter", jitter,
                   f"resilience4j draws from delay × [1 − {factor:g}, 1 + {factor:g}]; nearest demo jitter")
    else:
        reader.set(at + "enableRandomizedWait", conf.get("enableRandomizedWait"), "jitter", "none")
    _leftovers(reader, conf, at, {"maxAttempts", "waitDuration", "enableExponentialBackoff",
                                  "exponentialBackoffMultiplier", "exponentialMaxWaitDuration",
                                  "enableRandomizedWait", "randomizedWaitFactor"}, "not modelled")


def _r4j_breaker(reader: _Reader, at: str, conf: dict) -> None:
    kind = conf.get("slidingWindowType", "COUNT_BASED")
    if kind not in ("COUNT_BASED", "TIME_BASED"):
        raise ConfigError(at + "slidingWindowType", "must be COUNT_BASED or TIME_BASED")
    size = _int(at + "slidingWindowSize", conf.get("slidingWindowSize", 100), 1)
    minimum = _int(at + "minimumNumberOfCalls", conf.get("minimumNumberOfCalls", 100), 1)
    threshold = _number(at + "failureRateThreshold", conf.get("failureRateThreshold", 50), 0, 100)
    probes = _int(at + "permittedNumberOfCallsInHalfOpenState", conf.get("permittedNumberOfCallsInHalfOpenState", 10), 1)
    if kind == "COUNT_BASED" and threshold == 100 and minimum == size:
        reader.set(at + "failureRateThreshold", conf.get("failureRateThreshold"), "policy", "consecutive",
                   f"100 % of the last {size} calls is {size} failures in a row")
        reader.set(at + "slidingWindowSize", conf.get("slidingWindowSize"), "failure_threshold", size)
        reader.result.fields.append(Field(at + "minimumNumberOfCalls", _show(conf.get("minimumNumberOfCalls")), True,
                                          "equal to the window, as failures in a row need"))
    else:
        reader.set(at + "failureRateThreshold", conf.get("failureRateThreshold"), "rate_threshold", threshold)
        reader.result.values["policy"] = "rate"
        if kind == "TIME_BASED":
            reader.set(at + "slidingWindowType", kind, "window_kind", "time")
            reader.set(at + "slidingWindowSize", conf.get("slidingWindowSize"), "window_s", size, "seconds")
        else:
            reader.set(at + "slidingWindowType", conf.get("slidingWindowType"), "window_kind", "count")
            reader.set(at + "slidingWindowSize", conf.get("slidingWindowSize"), "window_calls", size, "calls")
        reader.set(at + "minimumNumberOfCalls", conf.get("minimumNumberOfCalls"), "min_calls", minimum)
    open_ms = _spring_ms(at + "waitDurationInOpenState", conf.get("waitDurationInOpenState", 60_000))
    reader.set(at + "waitDurationInOpenState", conf.get("waitDurationInOpenState"), "open_s", open_ms / 1000)
    reader.set(at + "permittedNumberOfCallsInHalfOpenState", conf.get("permittedNumberOfCallsInHalfOpenState"),
               "probes", probes)
    needed = half_open_successes(probes, threshold)
    reader.set("(half-open rule)", f"failure rate < {threshold:g} %", "probe_successes", needed,
               "resilience4j closes when the test calls' failure rate is below the threshold")
    reader.set("(half-open rule)", "after every test call", "half_open_decision", "all")
    auto = _bool(at + "automaticTransitionFromOpenToHalfOpenEnabled",
                 conf.get("automaticTransitionFromOpenToHalfOpenEnabled", False))
    reader.set(at + "automaticTransitionFromOpenToHalfOpenEnabled",
               conf.get("automaticTransitionFromOpenToHalfOpenEnabled"), "half_open_on", "timer" if auto else "call")
    _leftovers(reader, conf, at, {"slidingWindowType", "slidingWindowSize", "minimumNumberOfCalls",
                                  "failureRateThreshold", "permittedNumberOfCallsInHalfOpenState",
                                  "waitDurationInOpenState", "automaticTransitionFromOpenToHalfOpenEnabled"},
               "not modelled")


_POOLS = ("search", "checkout", "profile")


def _r4j_bulkheads(reader: _Reader, root: dict) -> None:
    """Instances named after the demo's features size their pools; a single other instance sizes all three."""
    group = "instances" if "instances" in root["bulkhead"] else "configs"
    entries = root["bulkhead"][group]
    named = {n: c for n, c in entries.items() if n in _POOLS}
    if named:
        targets = [(n, [n], c) for n, c in named.items()]
        for n, c in entries.items():
            if n not in _POOLS:
                reader.skip(f"bulkhead.{group}.{n}", c, "not modelled: the demo's pools are search, checkout, profile")
    else:
        first = next(iter(entries))
        targets = [(first, list(_POOLS), entries[first])]
        for n in list(entries)[1:]:
            reader.skip(f"bulkhead.{group}.{n}", entries[n], "not imported: the demo shows one instance")
    waits = set()
    for name, pools, conf in targets:
        at = f"bulkhead.{group}.{name}."
        conf = _dict(at.rstrip("."), conf or {})
        size = _int(at + "maxConcurrentCalls", conf.get("maxConcurrentCalls", 25), 1)
        for pool in pools:
            reader.set(at + "maxConcurrentCalls", conf.get("maxConcurrentCalls"), f"{pool}_pool", size,
                       "" if "maxConcurrentCalls" in conf else "resilience4j's default is 25")
        waits.add(_spring_ms(at + "maxWaitDuration", conf.get("maxWaitDuration", 0)))
        _leftovers(reader, conf, at, {"maxConcurrentCalls", "maxWaitDuration"}, "not modelled")
    wait = max(waits)
    if wait == 0:
        reader.set("(maxWaitDuration)", "0", "queue_limit", 0, "a call that finds no permit fails at once")
    else:
        reader.set("(maxWaitDuration)", f"{wait:g} ms", "queue_timeout_ms", wait,
                   "the semaphore bulkhead does not bound how many wait: the demo's queue length is kept"
                   + ("; the longest of the instances' waits" if len(waits) > 1 else ""))


def _r4j_timeout(reader: _Reader, at: str, conf: dict) -> None:
    reader.set(at + "timeoutDuration", conf.get("timeoutDuration"), "timeout_ms",
               _spring_ms(at + "timeoutDuration", conf.get("timeoutDuration", 1000)),
               "" if "timeoutDuration" in conf else "resilience4j's default is 1 s")
    _leftovers(reader, conf, at, {"timeoutDuration"}, "not modelled")


# ---- Polly -----------------------------------------------------------------------------------

_POLLY_SECTIONS = ("Retry", "CircuitBreaker", "Timeout", "TotalTimeout", "ConcurrencyLimiter")


def _polly(doc: dict) -> Imported:
    sections = {k: v for k, v in doc.items() if k in _POLLY_SECTIONS}
    top = doc  # where keys that are not sections are reported
    if not sections:
        top = {}
        if {"MaxRetryAttempts", "Delay", "BackoffType"} & set(doc):
            sections = {"Retry": doc}
        elif {"FailureRatio", "BreakDuration", "MinimumThroughput"} & set(doc):
            sections = {"CircuitBreaker": doc}
        else:  # one group per dependency (the lab's export): the first one
            group = next((v for v in doc.values() if isinstance(v, dict) and set(v) & set(_POLLY_SECTIONS)), None)
            if group is None:
                raise ConfigError("config", "no Retry, CircuitBreaker or Timeout options")
            sections = {k: v for k, v in group.items() if k in _POLLY_SECTIONS}
    if "Retry" in sections:
        reader = _Reader("polly", "backoff-timeline")
        _polly_retry(reader, "Retry.", _dict("Retry", sections["Retry"]))
        handled = {"Retry"}
    elif "CircuitBreaker" in sections:
        reader = _Reader("polly", "breaker-timeline")
        _polly_breaker(reader, "CircuitBreaker.", _dict("CircuitBreaker", sections["CircuitBreaker"]))
        handled = {"CircuitBreaker"}
        if "Timeout" in sections:
            _polly_timeout(reader, "Timeout.", _dict("Timeout", sections["Timeout"]))
            handled.add("Timeout")
    elif "Timeout" in sections:
        reader = _Reader("polly", "timeout-tradeoff")
        _polly_timeout(reader, "Timeout.", _dict("Timeout", sections["Timeout"]))
        handled = {"Timeout"}
    else:
        raise ConfigError("config", "no Retry, CircuitBreaker or Timeout options")
    for key, raw in sections.items():
        if key not in handled:
            reader.skip(key, raw, f"not modelled in {reader.demo.id}")
    for key, raw in top.items():
        if key not in sections:
            reader.skip(key, raw, "not modelled")
    return reader.result


def _polly_retry(reader: _Reader, at: str, conf: dict) -> None:
    retries = _int(at + "MaxRetryAttempts", conf.get("MaxRetryAttempts", 3), 0)
    reader.set(at + "MaxRetryAttempts", conf.get("MaxRetryAttempts"), "max_attempts", retries + 1,
               "counts retries only: attempts = MaxRetryAttempts + 1"
               + ("" if "MaxRetryAttempts" in conf else "; Polly's default is 3"))
    reader.set(at + "Delay", conf.get("Delay"), "base_ms", _timespan_ms(at + "Delay", conf.get("Delay", "00:00:02")),
               "" if "Delay" in conf else "Polly's default is 2 s")
    backoff = conf.get("BackoffType", "Constant")
    if backoff not in ("Constant", "Linear", "Exponential"):
        raise ConfigError(at + "BackoffType", f"must be Constant, Linear or Exponential (received {_show(backoff)})")
    multiplier = {"Constant": 1.0, "Linear": 1.5, "Exponential": 2.0}[backoff]
    reader.set(at + "BackoffType", conf.get("BackoffType"), "multiplier", multiplier,
               {"Constant": "a fixed wait", "Exponential": "Polly doubles",
                "Linear": "Polly waits 1, 2, 3 × Delay; nearest: × 1.5"}[backoff])
    if "MaxDelay" in conf:
        reader.set(at + "MaxDelay", conf["MaxDelay"], "cap_ms", _timespan_ms(at + "MaxDelay", conf["MaxDelay"]))
    elif backoff != "Constant":
        reader.set(at + "MaxDelay", None, "cap_ms", 60_000, "no cap in Polly; nearest: the demo's largest")
    jitter = _bool(at + "UseJitter", conf.get("UseJitter", False))
    reader.set(at + "UseJitter", conf.get("UseJitter"), "jitter",
               ("decorrelated" if backoff == "Exponential" else "equal") if jitter else "none",
               ("Polly's decorrelated-jitter curve; nearest demo jitter" if backoff == "Exponential"
                else "Polly varies the delay by ±25 %; nearest demo jitter") if jitter else "")
    _leftovers(reader, conf, at, {"MaxRetryAttempts", "Delay", "BackoffType", "MaxDelay", "UseJitter"}, "not modelled")


def _polly_breaker(reader: _Reader, at: str, conf: dict) -> None:
    ratio = _number(at + "FailureRatio", conf.get("FailureRatio", 0.1), 0, 1)
    reader.result.values["policy"] = "rate"
    reader.set(at + "FailureRatio", conf.get("FailureRatio"), "rate_threshold", ratio * 100)
    reader.set(at + "MinimumThroughput", conf.get("MinimumThroughput"), "min_calls",
               _int(at + "MinimumThroughput", conf.get("MinimumThroughput", 100), 2))
    reader.set(at + "SamplingDuration", conf.get("SamplingDuration"), "window_s",
               _timespan_ms(at + "SamplingDuration", conf.get("SamplingDuration", "00:00:30")) / 1000, "seconds")
    reader.result.values["window_kind"] = "time"
    reader.set(at + "BreakDuration", conf.get("BreakDuration"), "open_s",
               _timespan_ms(at + "BreakDuration", conf.get("BreakDuration", "00:00:05")) / 1000)
    reader.set("(Polly's half-open)", "one test call", "probes", 1)
    reader.set("(Polly's half-open)", "closes on its success", "probe_successes", 1)
    reader.set("(Polly's half-open)", "on the next call", "half_open_on", "call")
    _leftovers(reader, conf, at, {"FailureRatio", "MinimumThroughput", "SamplingDuration", "BreakDuration"},
               "not modelled")


def _polly_timeout(reader: _Reader, at: str, conf: dict) -> None:
    reader.set(at + "Timeout", conf.get("Timeout"), "timeout_ms",
               _timespan_ms(at + "Timeout", conf.get("Timeout", "00:00:30")),
               "" if "Timeout" in conf else "Polly's default is 30 s")
    _leftovers(reader, conf, at, {"Timeout"}, "not modelled")
