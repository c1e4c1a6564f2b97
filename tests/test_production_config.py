"""The generated configurations prove themselves: the tenacity and stamina code runs here on a fake
clock and reproduces the demo's attempt times; the gRPC JSON and Envoy YAML obey their formats'
documented rules; export then import gives back the same state."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml

from webapp import production
from webapp.demos import REGISTRY, load_all
from webapp.production import importer
from webapp.production.policy import MAPPINGS
from webapp.sims import backoff

load_all()
TIMELINE = REGISTRY["backoff-timeline"]


class FakeClock:
    """time.sleep and time.monotonic, advanced only by sleeping (and by the fake dependency)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(time, "sleep", fake.sleep)
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    return fake


def _values(**over):
    return {**TIMELINE.params.defaults(), **over}


def _run_generated(library: str, values: dict, clock: FakeClock) -> list[float]:
    """Exec the generated code, decorate a dependency that fails until down_ms (each failed attempt
    taking attempt_ms) with its retry decorator, and return each attempt's start in ms."""
    text = production.generate("backoff-timeline", values, library, TIMELINE.title).text
    namespace: dict = {}
    exec(compile(text, f"<{library} config>", "exec"), namespace)
    starts, t0 = [], clock.now

    def dependency():
        elapsed = (clock.now - t0) * 1000
        starts.append(elapsed)
        if values["down_ms"] is not None and elapsed >= values["down_ms"]:
            return "ok"
        clock.now += values["attempt_ms"] / 1000
        raise namespace["TransientError"]("down")

    outcome = "fail"
    try:
        outcome = namespace["retry_dependency"](dependency)()
    except namespace["TransientError"]:
        pass
    return starts, outcome


# Without jitter the schedule is exact: doubling, a cap, other multipliers, a fixed wait, slow attempts
# and a dependency that recovers.
EXACT_STATES = [
    {},
    {"max_attempts": 10, "cap_ms": 1000},
    {"multiplier": 1.5, "base_ms": 250, "max_attempts": 7, "attempt_ms": 40},
    {"multiplier": 1.0, "base_ms": 500, "max_attempts": 3},
    {"down_ms": 600},
    {"multiplier": 3.0, "base_ms": 30, "cap_ms": 700, "max_attempts": 8, "attempt_ms": 120, "down_ms": 2500},
]


@pytest.mark.parametrize("library", ["tenacity", "stamina"])
@pytest.mark.parametrize("over", EXACT_STATES)
def test_generated_code_reproduces_the_attempt_times(library, over, clock):
    values = _values(**over)
    demo = backoff.timeline(**values)
    starts, outcome = _run_generated(library, values, clock)
    # The demo reports times rounded to 0.1 ms; the same rounding of the library's times must agree.
    assert [backoff._round(t) for t in starts] == [a["start_ms"] for a in demo["attempts"]]
    assert (outcome == "fail") == demo["gave_up"]


@pytest.mark.parametrize("jitter", ["full", "equal"])
def test_tenacity_jitter_draws_within_the_demos_bounds(jitter, clock):
    values = _values(jitter=jitter, max_attempts=10, cap_ms=3000)
    bounds = [a["wait_range_ms"] for a in backoff.timeline(**values)["attempts"][:-1]]
    for _ in range(30):
        clock.sleeps.clear()
        _run_generated("tenacity", values, clock)
        waits = [s * 1000 for s in clock.sleeps]
        assert len(waits) == len(bounds)
        for wait, (lo, hi) in zip(waits, bounds):
            assert lo - 1e-6 <= wait <= hi + 1e-6


def test_stamina_jitter_is_added_on_top_as_its_note_says(clock):
    values = _values(jitter="full", max_attempts=6)
    rendered = production.generate("backoff-timeline", values, "stamina", TIMELINE.title)
    assert any("wait_jitter=0.1" in note for note in rendered.notes)
    for _ in range(30):
        clock.sleeps.clear()
        _run_generated("stamina", values, clock)
        for n, wait in enumerate(s * 1000 for s in clock.sleeps):
            ceiling = min(values["cap_ms"], values["base_ms"] * 2 ** n)
            assert ceiling - 1e-6 <= wait <= min(values["cap_ms"], ceiling + values["base_ms"]) + 1e-6


def test_tenacity_deadline_stops_before_a_wait_past_it(clock):
    """timeout-retry-budget's deadline-aware policy: no attempt starts if its wait ends past the deadline."""
    demo = REGISTRY["timeout-retry-budget"]
    values = {**demo.params.defaults(), "deadline_ms": 1000, "attempt_timeout_ms": 300, "backoff_ms": 100}
    text = production.generate(demo.id, values, "tenacity", demo.title).text
    assert "stop_before_delay(1.0)" in text
    namespace: dict = {}
    exec(text, namespace)
    starts, t0 = [], clock.now

    def times_out():
        starts.append(round((clock.now - t0) * 1000, 6))
        clock.now += 0.3
        raise namespace["TransientError"]()

    with pytest.raises(namespace["TransientError"]):
        namespace["retry_dependency"](times_out)()
    # 0-300, wait 100, 400-700, wait 200 would end at 900 < 1000: 900-1200; wait 400 ends past it.
    assert starts == [0, 400, 900]


# ---- formats' documented rules ---------------------------------------------------------------

def _every_state():
    for demo_id in MAPPINGS:
        demo = REGISTRY[demo_id]
        yield demo, demo.params.defaults()
        for preset in demo.presets:
            yield demo, demo.preset_values(preset)


PROTO_DURATION = re.compile(r"^\d+(\.\d{1,9})?s$")


def _durations(node, keys):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys:
                yield k, v
            yield from _durations(v, keys)
    elif isinstance(node, list):
        for v in node:
            yield from _durations(v, keys)


def test_grpc_service_configs_obey_gRFC_A6():
    checked = 0
    for demo, values in _every_state():
        rendered = production.generate(demo.id, values, "grpc", demo.title)
        if rendered is None:
            continue
        config = json.loads(rendered.text)
        assert set(config) <= {"methodConfig", "retryThrottling"}
        for method in config["methodConfig"]:
            assert set(method) <= {"name", "timeout", "retryPolicy"}
            if "retryPolicy" in method:
                policy = method["retryPolicy"]
                assert set(policy) == {"maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier",
                                       "retryableStatusCodes"}  # A6: every field required, no others
                assert isinstance(policy["maxAttempts"], int) and 1 < policy["maxAttempts"] <= 5
                assert policy["backoffMultiplier"] > 0 and policy["retryableStatusCodes"]
                checked += 1
        for key, value in _durations(config, {"timeout", "initialBackoff", "maxBackoff"}):
            assert PROTO_DURATION.match(value), (demo.id, key, value)
            assert float(value[:-1]) > 0
        if "retryThrottling" in config:
            assert config["retryThrottling"]["maxTokens"] > 0 and 0 < config["retryThrottling"]["tokenRatio"]
    assert checked > 20


def test_grpc_caps_attempts_at_five_and_says_so():
    rendered = production.generate("backoff-timeline", _values(max_attempts=8), "grpc", TIMELINE.title)
    assert json.loads(rendered.text)["methodConfig"][0]["retryPolicy"]["maxAttempts"] == 5
    assert any("treated as 5" in note for note in rendered.notes)
    one = production.generate("backoff-timeline", _values(max_attempts=1), "grpc", TIMELINE.title)
    assert one is None  # maxAttempts must be above 1: one attempt is no retryPolicy at all


ENVOY_FIELDS = {
    "routes": None, "match": None, "prefix": None, "route": None, "cluster": None, "timeout": "d",
    "retry_policy": None, "retry_on": None, "num_retries": None, "per_try_timeout": "d", "retry_back_off": None,
    "base_interval": "d", "max_interval": "d", "clusters": None, "name": None, "circuit_breakers": None,
    "thresholds": None, "priority": None, "max_requests": None, "max_pending_requests": None,
    "max_connections": None, "retry_budget": None, "budget_percent": None, "value": None,
    "min_retry_concurrency": None, "outlier_detection": None, "consecutive_5xx": None, "interval": "d",
    "base_ejection_time": "d", "max_ejection_percent": None, "enforcing_consecutive_5xx": None,
    "failure_percentage_threshold": None, "failure_percentage_request_volume": None,
    "failure_percentage_minimum_hosts": None, "enforcing_failure_percentage": None,
}


def _keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from _keys(v)


def test_envoy_yaml_uses_envoys_field_names_and_durations():
    checked = 0
    for demo, values in _every_state():
        rendered = production.generate(demo.id, values, "envoy", demo.title)
        if rendered is None:
            continue
        doc = yaml.safe_load(rendered.text)
        for key, value in _keys(doc):
            assert key in ENVOY_FIELDS, (demo.id, key)
            if ENVOY_FIELDS[key] == "d":
                assert isinstance(value, str) and PROTO_DURATION.match(value), (demo.id, key, value)
        for route in doc.get("routes", []):
            policy = route["route"].get("retry_policy")
            if policy:
                back_off = policy["retry_back_off"]
                assert policy["num_retries"] >= 1
                assert 0 < float(back_off["base_interval"][:-1]) <= float(back_off["max_interval"][:-1])
                checked += 1
    assert checked > 20


def test_every_library_renders_every_mapped_state_or_declines():
    for demo, values in _every_state():
        found = production.available(demo.id, values, demo.title)
        for name, rendered in found.items():
            assert rendered.text.strip()
            if rendered.syntax == "yaml":
                yaml.safe_load(rendered.text)
            elif rendered.syntax == "json":
                json.loads(rendered.text)
            elif rendered.syntax == "python":
                compile(rendered.text, name, "exec")


def test_the_lab_has_a_section_per_edge():
    lab = REGISTRY["failure-lab"]
    text = production.generate(lab.id, lab.params.defaults(), "tenacity", lab.title).text
    assert text.count("= retry(") == 6 and "def call_checkout_payments" in text


# ---- export, then import ---------------------------------------------------------------------

BREAKER = REGISTRY["breaker-timeline"]
ROUND_TRIPS = [
    ("grpc", "backoff-timeline", {}),
    ("grpc", "backoff-timeline", {"max_attempts": 3, "base_ms": 250, "cap_ms": 2000, "multiplier": 1.5}),
    ("grpc", "timeout-tradeoff", {"timeout_ms": 250}),
    ("envoy", "backoff-timeline", {"jitter": "full"}),
    ("envoy", "backoff-timeline", {"jitter": "full", "max_attempts": 9, "base_ms": 40, "cap_ms": 900}),
    ("resilience4j", "backoff-timeline", {}),
    ("resilience4j", "backoff-timeline", {"jitter": "full", "multiplier": 1.5, "cap_ms": 4000}),
    ("resilience4j", "backoff-timeline", {"multiplier": 1.0, "jitter": "equal", "base_ms": 300}),
    ("resilience4j", "breaker-timeline", BREAKER.preset_values(next(p for p in BREAKER.presets if p.name == "resilience4j"))),
    ("resilience4j", "breaker-timeline", {"half_open_decision": "all", "probe_successes": 1, "half_open_on": "call",
                                          "failure_threshold": 8, "timeout_ms": 2500}),
    ("resilience4j", "timeout-tradeoff", {"timeout_ms": 740}),
    ("resilience4j", "bulkhead", {}),
    ("resilience4j", "bulkhead", {"search_pool": 25, "checkout_pool": 25, "profile_pool": 25, "queue_limit": 0}),
    ("resilience4j", "bulkhead", {"search_pool": 40, "queue_timeout_ms": 250}),
    ("polly", "backoff-timeline", {}),
    ("polly", "backoff-timeline", {"jitter": "decorrelated", "cap_ms": 5000}),
    ("polly", "backoff-timeline", {"multiplier": 1.0, "jitter": "equal", "base_ms": 2000, "max_attempts": 4}),
    ("polly", "breaker-timeline", BREAKER.preset_values(next(p for p in BREAKER.presets if p.name == "polly"))),
    ("polly", "timeout-tradeoff", {"timeout_ms": 30000}),
]


@pytest.mark.parametrize("library,demo_id,over", ROUND_TRIPS)
def test_export_then_import_gives_the_same_state(library, demo_id, over):
    demo = REGISTRY[demo_id]
    values = {**demo.params.defaults(), **over}
    text = production.generate(demo_id, values, library, demo.title).text
    for fmt in (library, "auto"):
        imported = importer.load(text, fmt)
        assert imported.format == library and imported.demo_id == demo_id
        assert {**demo.params.defaults(), **imported.values} == values
        assert all(f.mapped for f in imported.fields if f.path.endswith(tuple(imported.values)))
