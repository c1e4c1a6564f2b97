"""The circuit breaker: state machine by hand-written tables, invariants by property tests, library
presets against their documented semantics, and the two demos built on it."""

import heapq
import inspect
import json

import pytest
from hypothesis import given, settings, strategies as st

from webapp.sims.breaker import (CLOSED, HALF_OPEN, LEGAL_EDGES, LIBRARY_CONFIGS, MAX_STEPS, OPEN,
                                 BreakerConfig, CircuitBreaker, breaker_timeline, replay,
                                 timeline_params_for, validate_steps)

SEED = BreakerConfig()


def feed(cb, outcomes, t=0.0, gap=10.0):
    """Sequential calls, one at a time: acquire at t, record at t + 1. Returns the end time and
    what happened to each call ('admitted' or 'rejected')."""
    seen = []
    for ok in outcomes:
        token = cb.acquire(t)
        seen.append("rejected" if token is None else "admitted")
        if token is not None:
            cb.record(t + 1, ok, token)
        t += gap
    return t, seen


def edges(cb):
    return [(tr["from"], tr["to"]) for tr in cb.transitions]


# ---- the seed's state machine, by hand ----------------------------------------------------------

def test_trips_right_after_the_fifth_consecutive_failure():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 4)
    assert cb.state == CLOSED and cb.consecutive == 4
    token = cb.acquire(100)
    cb.record(123.4, False, token, "error")
    assert cb.state == OPEN
    assert cb.transitions == [{"t_ms": 123.4, "from": CLOSED, "to": OPEN,
                               "reason": "5 consecutive failures (last: error)"}]
    assert cb.acquire(123.4) is None  # the very next call fails fast


def test_an_interrupted_streak_starts_over():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 4 + [True] + [False] * 4)
    assert cb.state == CLOSED and cb.consecutive == 4
    feed(cb, [False], t=1000)
    assert cb.state == OPEN


def test_nothing_reaches_the_dependency_for_30_s_then_half_open_on_the_timer():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 5)  # last record at t = 41
    assert cb.open_until == 41 + 30_000
    for t in (41, 5_000, 30_040.9):
        assert cb.acquire(t) is None
    assert cb.state_at(30_041) == HALF_OPEN  # the timer is due, even before anyone calls
    assert cb.acquire(45_000) is not None
    # The timer fired at exactly 30 s, not when the late call arrived.
    assert cb.transitions[-1] == {"t_ms": 30_041, "from": OPEN, "to": HALF_OPEN,
                                  "reason": "timer: open for 30 s"}


def test_on_the_next_call_mode_moves_when_a_call_arrives():
    cb = CircuitBreaker(BreakerConfig(half_open_on="call"))
    feed(cb, [False] * 5)
    cb.advance(40_000)
    assert cb.state == OPEN and cb.state_at(40_000) == OPEN  # nobody called: still OPEN
    assert cb.would_admit(40_000)
    assert cb.acquire(45_000) is not None
    assert cb.transitions[-1]["t_ms"] == 45_000 and cb.state == HALF_OPEN
    assert cb.transitions[-1]["reason"] == "first call after 30 s open"


def test_half_open_admits_three_test_requests_and_fails_the_rest_fast():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 5)
    t = 40_000
    tokens = [cb.acquire(t + i) for i in range(5)]
    assert [tok is not None for tok in tokens] == [True, True, True, False, False]
    cb.record(t + 50, True, tokens[0])
    assert cb.state == HALF_OPEN
    cb.record(t + 60, True, tokens[1])
    assert cb.state == CLOSED  # closes on the 2nd success without waiting for the 3rd
    assert cb.transitions[-1]["reason"] == "2 of 3 test requests succeeded"
    assert cb.record(t + 70, False, tokens[2]) is False  # late 3rd result: ignored
    assert cb.state == CLOSED and cb.consecutive == 0


# Every sequence of three test results, for the seed (close on 2 of 3, decide early) and for
# "decide after all". Columns: results, final state, how many results were needed to decide.
PROBE_TABLE = [
    ("sss", CLOSED, 2, 3), ("ssf", CLOSED, 2, 3), ("sfs", CLOSED, 3, 3), ("fss", CLOSED, 3, 3),
    ("sff", OPEN, 3, 3), ("fsf", OPEN, 3, 3), ("ffs", OPEN, 2, 3), ("fff", OPEN, 2, 3),
]


@pytest.mark.parametrize("results,final,early_at,all_at", PROBE_TABLE)
@pytest.mark.parametrize("decision", ["early", "all"])
def test_half_open_decision_table(results, final, early_at, all_at, decision):
    cb = CircuitBreaker(BreakerConfig(half_open_decision=decision))
    feed(cb, [False] * 5)
    tokens = [cb.acquire(40_000 + i) for i in range(3)]
    decided_at = None
    for n, (letter, token) in enumerate(zip(results, tokens), start=1):
        cb.record(40_100 + n, letter == "s", token)
        if decided_at is None and cb.state != HALF_OPEN:
            decided_at = n
    assert cb.state == final
    assert decided_at == (early_at if decision == "early" else all_at)
    assert edges(cb)[-1] == (HALF_OPEN, final)


def test_failure_in_half_open_reopens_for_another_full_wait():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 5)
    a, b = cb.acquire(30_041), cb.acquire(30_042)
    cb.record(30_100, False, a)
    cb.record(30_200, False, b)
    assert cb.state == OPEN and cb.open_until == 60_200
    assert "successes out of reach" in cb.transitions[-1]["reason"]
    assert cb.acquire(60_199) is None and cb.acquire(60_200) is not None


def test_hung_test_requests_come_back_as_timeouts_so_half_open_never_sticks():
    timeout = 1_000
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 5)
    tokens = [cb.acquire(30_041 + i) for i in range(3)]  # all three hang
    assert cb.acquire(30_500) is None  # meanwhile everyone else fails fast
    for i, token in enumerate(tokens):
        cb.record(30_041 + i + timeout, False, token, "timeout")
    assert cb.state == OPEN
    assert cb.transitions[-1]["t_ms"] == 30_041 + 1 + timeout  # the 2nd timeout decides
    assert "timeout" in cb.transitions[-1]["reason"]


def test_results_of_calls_in_flight_at_the_trip_neither_extend_nor_end_the_open_state():
    cb = CircuitBreaker(SEED)
    in_flight = [cb.acquire(i) for i in range(10)]
    for i in range(5):
        cb.record(100 + i, False, in_flight[i])
    assert cb.state == OPEN and cb.open_until == 30_104
    cb.record(200, True, in_flight[5])
    cb.record(300, False, in_flight[6])
    assert cb.state == OPEN and cb.open_until == 30_104 and cb.ignored == 2
    # A straggler arriving during HALF_OPEN is not a test result either.
    probe = cb.acquire(30_104)
    cb.record(30_200, True, in_flight[7])
    assert cb.state == HALF_OPEN and cb.probe_ok == 0
    cb.record(30_300, True, probe)
    assert cb.probe_ok == 1


def test_outage_ending_while_open_lets_the_first_half_open_close():
    r = breaker_timeline(outage_start_s=10, outage_s=5)  # over long before the 30 s wait ends
    assert [(t["from"], t["to"]) for t in r["transitions"]] == [
        (CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    trip, half, close = (t["t_ms"] for t in r["transitions"])
    assert half == pytest.approx(trip + 30_000)
    assert close - half < 1_000  # 2 quick successes


def test_threshold_of_one_and_time_going_backwards():
    cb = CircuitBreaker(BreakerConfig(failure_threshold=1))
    feed(cb, [False])
    assert cb.state == OPEN
    with pytest.raises(ValueError):
        cb.acquire(0)


@pytest.mark.parametrize("bad", [dict(policy="x"), dict(probes=2, probe_successes=3),
                                 dict(rate_threshold=0), dict(open_ms=0), dict(min_calls=0),
                                 dict(half_open_on="never")])
def test_config_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        BreakerConfig(**bad)


def test_clamped_config_explains_what_it_changed():
    config, notes = BreakerConfig.clamped(probes=2, probe_successes=5)
    assert config.probe_successes == 2 and len(notes) == 1
    config, notes = BreakerConfig.clamped(policy="rate", window_kind="count", window_calls=10,
                                          min_calls=50)
    assert config.min_calls == 10 and len(notes) == 1


def test_state_at_reads_the_past_from_the_log():
    cb = CircuitBreaker(SEED)
    feed(cb, [False] * 5)
    cb.advance(100_000)
    assert cb.state_at(0) == CLOSED
    assert cb.state_at(41) == OPEN
    assert cb.state_at(30_040) == OPEN and cb.state_at(30_041) == HALF_OPEN
    assert cb.intervals(100_000) == [
        {"state": CLOSED, "start_ms": 0, "end_ms": 41},
        {"state": OPEN, "start_ms": 41, "end_ms": 30_041},
        {"state": HALF_OPEN, "start_ms": 30_041, "end_ms": 100_000}]


# ---- invariants over random event sequences -----------------------------------------------------

configs = st.builds(
    BreakerConfig,
    policy=st.sampled_from(["consecutive", "rate"]),
    failure_threshold=st.integers(1, 6),
    rate_threshold=st.sampled_from([10, 50, 100]),
    min_calls=st.integers(1, 8),
    window_kind=st.sampled_from(["time", "count"]),
    window_ms=st.sampled_from([500, 5_000]),
    window_calls=st.integers(1, 10),
    open_ms=st.sampled_from([100, 1_000, 5_000]),
    probes=st.just(3),
    probe_successes=st.integers(1, 3),
    half_open_decision=st.sampled_from(["early", "all"]),
    half_open_on=st.sampled_from(["timer", "call"]),
)
# A call: wait `gap` ms after the previous one, then take `duration` ms and succeed or fail. Calls
# overlap, so results come back out of order and after state changes.
calls = st.lists(st.tuples(st.integers(0, 800), st.integers(0, 3_000), st.booleans()),
                 max_size=120)


@settings(max_examples=150, deadline=None)
@given(config=configs, events=calls)
def test_invariants_over_random_concurrent_calls(config, events):
    cb = CircuitBreaker(config)
    pending, t = [], 0
    per_half_open = {}  # epoch of a half-open state -> test requests it admitted
    successes_in = {}  # epoch -> successful test results recorded
    for n, (gap, duration, ok) in enumerate(events):
        t += gap
        while pending and pending[0][0] <= t:
            done, _, res, token = heapq.heappop(pending)
            logged = len(cb.transitions)
            counted = cb.record(done, res, token)
            if counted and res and token in per_half_open:
                successes_in[token] = successes_in.get(token, 0) + 1
            if len(cb.transitions) > logged and cb.transitions[-1]["to"] == CLOSED:
                # It closed on a test result: enough of that half-open's tests succeeded.
                assert successes_in.get(token, 0) >= config.probe_successes
        blocked = cb.state_at(t) == OPEN and t < cb.open_until
        token = cb.acquire(t)
        if blocked:
            assert token is None, "a call reached the dependency while OPEN"
        if token is not None:
            assert cb.state != OPEN
            if cb.state == HALF_OPEN:
                per_half_open[token] = per_half_open.get(token, 0) + 1
            heapq.heappush(pending, (t + duration, n, ok, token))
    assert cb.admitted_in[OPEN] == 0
    assert all(n <= config.probes for n in per_half_open.values())
    # Every transition is a legal edge, they chain, and time never runs backwards.
    state, last = CLOSED, 0
    for tr in cb.transitions:
        assert (tr["from"], tr["to"]) in LEGAL_EDGES
        assert tr["from"] == state and tr["t_ms"] >= last
        state, last = tr["to"], tr["t_ms"]
    # OPEN always lasts at least the configured wait (exactly, with the timer).
    for a, b in zip(cb.transitions, cb.transitions[1:]):
        if a["to"] == OPEN:
            wait = b["t_ms"] - a["t_ms"]
            assert wait >= config.open_ms - 0.1
            if config.half_open_on == "timer":
                assert wait == pytest.approx(config.open_ms, abs=0.1)


@settings(max_examples=100, deadline=None)
@given(steps=st.text(alphabet="sftw", max_size=MAX_STEPS),
       probes=st.integers(1, 4), need=st.integers(1, 4),
       decision=st.sampled_from(["early", "all"]), mode=st.sampled_from(["timer", "call"]))
def test_replay_invariants_and_undo(steps, probes, need, decision, mode):
    r = replay(steps, probes=probes, probe_successes=need, half_open_decision=decision,
               half_open_on=mode, wait_s=10)
    assert len(r["events"]) == len(steps)
    tests_in_a_row = 0
    for e in r["events"]:
        if any(tr["to"] == HALF_OPEN for tr in e["transitions"]):
            tests_in_a_row = 0  # a new half-open episode (a wait, or the lazy mode's first call)
        if e["event"] == "w":
            assert e["reached"] is None
            continue
        if e["state_before"] == OPEN and e["reached"]:
            # Only the lazy mode's first call after the wait may pass an OPEN breaker.
            assert mode == "call" and e["test_request"]
        if e["outcome"] == "rejected":
            assert not e["reached"]
        tests_in_a_row += e["test_request"]
        # Sequential clicks: a half-open episode admits at most `probes` test requests.
        assert tests_in_a_row <= probes
    for tr in r["transitions"]:
        assert (tr["from"], tr["to"]) in LEGAL_EDGES
    # "back" is the prefix: the same history minus the last event.
    if steps:
        shorter = replay(steps[:-1], probes=probes, probe_successes=need,
                         half_open_decision=decision, half_open_on=mode, wait_s=10)
        assert shorter["events"] == r["events"][:-1]


# ---- library presets, on small hand-made sequences -----------------------------------------------

def at(cb, t, ok):
    """One call at t that finishes at once; returns whether it was admitted."""
    token = cb.acquire(t)
    if token is not None:
        cb.record(t, ok, token)
    return token is not None


def test_hystrix_needs_20_requests_in_its_rolling_10_s_window():
    cb = CircuitBreaker(LIBRARY_CONFIGS["hystrix"])
    for i in range(19):
        at(cb, 100 + i, False)
    assert cb.state == CLOSED  # 19 failures, 100 %, but under the volume threshold
    at(cb, 10_500, False)  # the first 19 sat in bucket 0, which has rolled out of the window
    assert cb.state == CLOSED and cb.window_total == 1
    for i in range(19):
        at(cb, 10_600 + i, False)
    assert cb.state == OPEN


@pytest.mark.parametrize("successes,failures,trips", [(10, 10, True), (11, 10, False),
                                                      (0, 20, True), (30, 29, False)])
def test_hystrix_trips_at_50_percent_or_more(successes, failures, trips):
    cb = CircuitBreaker(LIBRARY_CONFIGS["hystrix"])
    for i in range(successes):
        at(cb, i, True)
    for i in range(failures):
        at(cb, 1_000 + i, False)
    assert (cb.state == OPEN) is trips


def test_hystrix_single_test_request_after_5_s_on_the_next_call():
    cb = CircuitBreaker(LIBRARY_CONFIGS["hystrix"])
    for i in range(20):
        at(cb, i, False)
    opened = cb.transitions[-1]["t_ms"]
    cb.advance(opened + 6_000)
    assert cb.state == OPEN  # nothing moves without a call
    probe = cb.acquire(opened + 6_000)
    assert probe is not None and cb.acquire(opened + 6_001) is None  # one test at a time
    cb.record(opened + 6_100, False, probe)
    assert cb.state == OPEN and cb.open_until == opened + 6_100 + 5_000
    assert at(cb, opened + 11_100, True) and cb.state == CLOSED
    for i in range(19):  # statistics were reset on closing
        at(cb, opened + 12_000 + i, False)
    assert cb.state == CLOSED


def test_resilience4j_count_window_minimum_and_ten_test_requests_judged_together():
    cb = CircuitBreaker(LIBRARY_CONFIGS["resilience4j"])
    for i in range(51):
        at(cb, i, True)
    for i in range(49):
        at(cb, 100 + i, False)
    assert cb.state == CLOSED  # 100 calls, 49 % failed
    at(cb, 200, False)  # evicts the oldest success: 50 of the last 100 failed
    assert cb.state == OPEN
    opened = cb.transitions[-1]["t_ms"]
    assert cb.acquire(opened + 59_999) is None
    tokens = [cb.acquire(opened + 60_000 + i) for i in range(11)]
    assert sum(tok is not None for tok in tokens) == 10
    for i in range(5):  # after five failures, 6 successes out of 10 are out of reach...
        cb.record(opened + 61_000 + i, False, tokens[i])
    assert cb.state == HALF_OPEN  # ...but resilience4j waits for all ten results
    for i in range(5, 10):
        cb.record(opened + 61_000 + i, True, tokens[i])
    assert cb.state == OPEN  # 5 of 10 failed = 50 % >= 50 %


def test_resilience4j_closes_when_fewer_than_half_of_the_tests_fail():
    cb = CircuitBreaker(LIBRARY_CONFIGS["resilience4j"])
    for i in range(100):
        at(cb, i, False)
    tokens = [cb.acquire(70_000 + i) for i in range(10)]
    for i, token in enumerate(tokens):
        cb.record(71_000 + i, i >= 4, token)  # 4 failures, 6 successes
    assert cb.state == CLOSED


@pytest.mark.parametrize("successes,failures,trips", [(90, 10, True), (91, 9, False),
                                                      (91, 10, False), (91, 11, True),
                                                      (0, 99, False)])
def test_polly_trips_at_10_percent_once_100_calls_in_30_s(successes, failures, trips):
    cb = CircuitBreaker(LIBRARY_CONFIGS["polly"])
    for i in range(successes):
        at(cb, i * 10, True)
    for i in range(failures):
        at(cb, 5_000 + i * 10, False)
    assert (cb.state == OPEN) is trips


def test_polly_window_rolls_and_break_lasts_5_s():
    cb = CircuitBreaker(LIBRARY_CONFIGS["polly"])
    for i in range(95):
        at(cb, i, True)
    for i in range(4):
        at(cb, 100 + i, False)
    # 31 s later the first calls have left the 30 s window: 20 new calls, 3 failing, are too few.
    for i in range(17):
        at(cb, 31_000 + i, True)
    for i in range(3):
        at(cb, 31_100 + i, False)
    assert cb.state == CLOSED and cb.window_total == 20
    for i in range(80):
        at(cb, 32_000 + i, False)
    opened = cb.transitions[-1]["t_ms"]
    assert cb.state == OPEN
    assert not at(cb, opened + 4_999, True)
    assert at(cb, opened + 5_000, True) and cb.state == CLOSED


def test_presets_reproduce_the_library_configs_and_fit_the_sliders():
    from webapp.demos.breaker import BREAKER_PRESETS, BREAKER_TIMELINE_PARAMS
    assert set(BREAKER_PRESETS) == {"seed", "hystrix", "resilience4j", "polly"}
    assert BREAKER_PRESETS["seed"] == {k: BREAKER_TIMELINE_PARAMS.defaults()[k]
                                       for k in BREAKER_PRESETS["seed"]}
    for name, values in BREAKER_PRESETS.items():
        for key, value in values.items():
            p = BREAKER_TIMELINE_PARAMS.by_name[key]
            assert p.parse(p.to_text(value)) == value
        r = breaker_timeline(**values)
        assert BreakerConfig(**r["config"]) == LIBRARY_CONFIGS[name]
        assert timeline_params_for(LIBRARY_CONFIGS[name]) == values


# ---- demo breaker-timeline ----------------------------------------------------------------------

def test_default_timeline_tells_the_whole_story():
    r = breaker_timeline()
    assert [(t["from"], t["to"]) for t in r["transitions"]] == [
        (CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED)]
    trip, half1, reopen, half2, close = (t["t_ms"] for t in r["transitions"])
    # OPEN right after the 5th consecutive failure, counted in the order results come back (a
    # slow success from before the outage, landing after a fast error, resets the count).
    results = sorted((q["t_ms"] + q["latency_ms"], q["outcome"]) for q in r["requests"]
                     if q["outcome"] != "rejected")
    streak, fifth = 0, None
    for done, outcome in results:
        streak = streak + 1 if outcome == "failure" else 0
        if streak == 5:
            fifth = done
            break
    assert trip == pytest.approx(fifth, abs=0.1)
    assert min(d for d, o in results if o == "failure") >= 10_000  # the outage starts at 10 s
    assert half1 == pytest.approx(trip + 30_000) and half2 == pytest.approx(reopen + 30_000)
    assert half1 < 55_000 < half2  # first test during the outage (fails), second after it
    # No request reaches the dependency while OPEN; at most 3 test requests per half-open.
    for q in r["requests"]:
        if q["state"] == OPEN:
            assert q["outcome"] == "rejected"
    for a, b in ((half1, reopen), (half2, close)):
        tests = [q for q in r["requests"] if a <= q["t_ms"] <= b and q["state"] == HALF_OPEN
                 and q["outcome"] != "rejected"]
        assert 1 <= len(tests) <= 3
    totals = r["totals"]
    assert totals["reached_while_open"] == 0 and totals["max_test_requests_per_half_open"] <= 3
    assert totals["reached_dependency"] + totals["rejected"] == totals["requests"]
    assert totals["success"] + totals["failure"] == totals["reached_dependency"]
    assert r["edges"] == {"CLOSED->OPEN": 1, "OPEN->HALF_OPEN": 2, "HALF_OPEN->OPEN": 1,
                          "HALF_OPEN->CLOSED": 1}
    # Load reaching the dependency: zero in every whole second spent OPEN.
    for iv in r["intervals"]:
        if iv["state"] == OPEN:
            for s in range(int(iv["start_ms"] // 1000) + 1, int(iv["end_ms"] // 1000)):
                assert r["load"]["reached"][s] == 0
    assert sum(r["load"]["reached"]) == totals["reached_dependency"]
    assert sum(iv["end_ms"] - iv["start_ms"] for iv in r["intervals"]) == pytest.approx(90_000)


def test_hanging_dependency_fails_by_timeout_and_trips_later():
    r = breaker_timeline(failure_mode="hang", timeout_ms=2_000)
    fails = [q for q in r["requests"] if q["outcome"] == "failure"]
    assert fails and all(q["cause"] == "timeout" and q["latency_ms"] == 2_000 for q in fails)
    trip = r["transitions"][0]["t_ms"]
    assert trip >= 12_000  # nobody learns of the outage before the first timeout fires
    # Calls admitted before the trip are still hanging when it opens: their results are ignored.
    assert r["totals"]["ignored_results"] > 10


def test_same_seed_same_traffic_whatever_the_breaker():
    a = breaker_timeline()
    b = breaker_timeline(**{**dict(rate=20), **timeline_params_for(LIBRARY_CONFIGS["hystrix"])})
    assert [q["t_ms"] for q in a["requests"]] == [q["t_ms"] for q in b["requests"]]
    assert breaker_timeline() == a
    assert breaker_timeline(seed=2)["requests"] != a["requests"]


def test_partial_outage_trips_polly_but_not_hystrix():
    partial = dict(error_pct=30, outage_s=60, duration_s=80)
    polly = breaker_timeline(**partial, **timeline_params_for(LIBRARY_CONFIGS["polly"]))
    hystrix = breaker_timeline(**partial, **timeline_params_for(LIBRARY_CONFIGS["hystrix"]))
    assert polly["totals"]["trips"] >= 1
    assert hystrix["transitions"] == []


def test_outage_that_never_ends_never_closes():
    r = breaker_timeline(outage_s=None, duration_s=200)
    assert r["edges"]["HALF_OPEN->CLOSED"] == 0 and r["edges"]["HALF_OPEN->OPEN"] >= 4


def test_results_are_json_and_rounded():
    for result in (breaker_timeline(), replay("fffffwwwss"),
                   breaker_timeline(policy="rate", failure_mode="hang")):
        json.dumps(result)
        _assert_rounded(result)


def _assert_rounded(x):
    if isinstance(x, float):
        assert round(x, 1) == x
    elif isinstance(x, dict):
        for v in x.values():
            _assert_rounded(v)
    elif isinstance(x, list):
        for v in x:
            _assert_rounded(v)


# ---- demo breaker-step --------------------------------------------------------------------------

def test_step_by_step_seed_story():
    r = replay("fffff" + "s" + "www" + "ff" + "www" + "tss")
    ev = r["events"]
    assert [e["state_after"] for e in ev[:5]] == [CLOSED] * 4 + [OPEN]
    assert ev[5]["outcome"] == "rejected" and ev[5]["reached"] is False
    assert ev[7]["state_after"] == OPEN and ev[8]["state_after"] == HALF_OPEN  # 30 s of waiting
    assert ev[9]["test_request"] and ev[10]["state_after"] == OPEN  # 2 failures: re-open
    assert ev[13]["state_after"] == HALF_OPEN
    assert ev[14]["outcome"] == "timeout" and ev[14]["end_ms"] - ev[14]["t_ms"] == 1_000
    assert ev[16]["state_after"] == CLOSED
    assert r["edges"] == {"CLOSED->OPEN": 1, "OPEN->HALF_OPEN": 2, "HALF_OPEN->OPEN": 1,
                          "HALF_OPEN->CLOSED": 1}
    assert ev[4]["next_request"] == "rejected" and ev[8]["next_request"] == "test request"


def test_step_lazy_mode_shows_open_until_someone_calls():
    r = replay("fffffwww", half_open_on="call")
    assert r["state"] == OPEN and r["next_request"] == "test request"
    r = replay("fffffwwws", half_open_on="call")
    assert r["events"][-1]["state_before"] == OPEN and r["events"][-1]["test_request"]


@pytest.mark.parametrize("bad", ["x", "sfz", "s" * (MAX_STEPS + 1), "s f"])
def test_steps_are_validated(bad):
    with pytest.raises(ValueError):
        validate_steps(bad)
    assert validate_steps(" SFTW ") == "sftw"
    assert validate_steps("") == ""


def test_params_match_the_models():
    from webapp.demos.breaker import BREAKER_STEP_PARAMS, BREAKER_TIMELINE_PARAMS
    for declared, model in ((BREAKER_TIMELINE_PARAMS, breaker_timeline), (BREAKER_STEP_PARAMS, replay)):
        signature = inspect.signature(model).parameters
        assert {p.name for p in declared} == set(signature)
        for p in declared:
            assert signature[p.name].default == p.default, p.name
            assert p.label and p.help
    steps = BREAKER_STEP_PARAMS.by_name["steps"]
    assert steps.kind == "text" and set(steps.alphabet) == set("sftw") and steps.max == MAX_STEPS
