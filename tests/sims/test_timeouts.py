"""The timeout models against closed forms.

Latency of a call that answers: with probability 1 - w a lognormal body, with probability w a
Pareto tail from x_m = TAIL_START x median; a share h of calls hangs and never answers.
    body quantile     exp(mu + sigma z_p)                     (mu = ln median)
    body density      phi(z) / (sigma x),  z = (ln x - mu) / sigma
    tail CDF          1 - (x_m / x)^alpha,   density alpha x_m^alpha / x^(alpha + 1)    (x >= x_m)
    mixture CDF       (1 - w) Phi(z) + w (1 - (x_m / x)^alpha)
Sample-quantile standard error (asymptotic): sqrt(p (1 - p) / n) / f(x_p). Every statistical
check below allows 4 standard errors: a correct model fails one with probability ~1e-4.
"""

from __future__ import annotations

import inspect
import json
import math
import statistics
from statistics import NormalDist

import pytest

from webapp.demos.timeouts import TIMEOUT_RETRY_BUDGET_PARAMS, TIMEOUT_TRADEOFF_PARAMS
from webapp.sims import timeouts
from webapp.sims.timeouts import LatencyModel

N = timeouts.SAMPLE_SIZE
Z = NormalDist()


def mixture_pdf(model: LatencyModel, x: float) -> float:
    z = (math.log(x) - model.mu) / model.sigma
    body = math.exp(-z * z / 2) / math.sqrt(2 * math.pi) / (model.sigma * x)
    tail = model.alpha * model.x_m ** model.alpha / x ** (model.alpha + 1) if x >= model.x_m else 0.0
    return (1 - model.w) * body + model.w * tail


def quantile_se(model: LatencyModel, p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n) / mixture_pdf(model, model.quantile(p))


# ---- percentiles ----------------------------------------------------------------------------------

def test_percentile_is_numpys_linear_interpolation():
    data = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3, 5.8, 9.7, 9.3, 2.3])
    cuts = statistics.quantiles(data, n=100, method="inclusive")  # the same "type 7" rule
    for p in (1, 10, 50, 90, 99):
        assert timeouts.percentile(data, p) == pytest.approx(cuts[p - 1])
    assert timeouts.percentile(data, 0) == 1.0 and timeouts.percentile(data, 100) == 9.7
    assert timeouts.percentile([], 50) is None


@pytest.mark.parametrize("median, sigma, seed", [(50, 0.5, 1), (200, 1.2, 2), (5, 0.2, 3)])
def test_pure_lognormal_percentiles_agree_with_the_closed_form(median, sigma, seed):
    result = timeouts.tradeoff(median_ms=median, sigma=sigma, tail_pct=0, hang_pct=0, seed=seed)
    model = LatencyModel(median, sigma)
    assert result["answered"] == N and result["hung"] == 0
    assert result["closed_form"]["body_only_exact"] is True
    for p in timeouts.PERCENTILES:
        key = f"p{p:g}"
        exact = math.exp(math.log(median) + sigma * Z.inv_cdf(p / 100))
        assert result["closed_form"]["percentiles_ms"][key] == pytest.approx(exact, abs=0.06)
        assert result["closed_form"]["body_only_percentiles_ms"][key] == pytest.approx(exact, abs=0.06)
        se = quantile_se(model, p / 100, N)
        assert abs(result["percentiles_ms"][key] - exact) < 4 * se + 0.05, (key, se)
    # Mean and SD of a lognormal: exp(mu + s^2/2), mean x sqrt(exp(s^2) - 1).
    mean = median * math.exp(sigma ** 2 / 2)
    assert result["closed_form"]["mean_ms"] == pytest.approx(mean, abs=0.06)
    assert result["closed_form"]["std_ms"] == pytest.approx(mean * math.sqrt(math.exp(sigma ** 2) - 1), abs=0.06)


def test_mixture_percentiles_agree_with_the_solved_quantile_and_not_with_the_body_formula():
    result = timeouts.tradeoff()  # defaults: 2 % Pareto tail, alpha 1.5, 0.5 % hung
    model = LatencyModel(timeouts.DEFAULT_MEDIAN_MS, timeouts.DEFAULT_SIGMA, timeouts.DEFAULT_TAIL_PCT,
                         timeouts.DEFAULT_TAIL_ALPHA, timeouts.DEFAULT_HANG_PCT)
    n = result["answered"]
    assert result["closed_form"]["body_only_exact"] is False
    for p in timeouts.PERCENTILES:
        key = f"p{p:g}"
        exact = model.quantile(p / 100)
        se = quantile_se(model, p / 100, n)
        assert result["closed_form"]["percentiles_ms"][key] == pytest.approx(exact, abs=0.06)
        assert abs(result["percentiles_ms"][key] - exact) < 4 * se, key
    # exp(mu + sigma z_p) is only the body's: at p99.9 the tail puts the truth 3 x higher,
    # far beyond sampling noise.
    body = result["closed_form"]["body_only_percentiles_ms"]["p99.9"]
    assert body == pytest.approx(math.exp(math.log(50) + 0.5 * Z.inv_cdf(0.999)), abs=0.06)
    assert result["percentiles_ms"]["p99.9"] - body > 4 * quantile_se(model, 0.999, n)
    # The seed's rule at defaults: timeout = 3 x p99 (p99 = 198.5 ms), i.e. the 600 ms default.
    assert timeouts.DEFAULT_TIMEOUT_MS == pytest.approx(3 * model.quantile(0.99), abs=10)


@pytest.mark.parametrize("args", [(50, 0.5, 2, 1.5), (10, 1.5, 20, 1.1), (300, 0.3, 0.5, 4.0), (80, 0.8, 100, 2.5)])
def test_quantile_solver_inverts_the_cdf(args):
    model = LatencyModel(*args)
    for p in (0.01, 0.5, 0.9, 0.99, 0.999, 0.9999):
        x = model.quantile(p)
        assert model.cdf(x) == pytest.approx(p, abs=1e-12)
    if model.w == 1:  # all tail: the Pareto closed form x_m (1 - p)^(-1/alpha)
        for p in (0.5, 0.99):
            assert model.quantile(p) == pytest.approx(model.x_m * (1 - p) ** (-1 / model.alpha), rel=1e-12)


def test_sampled_mixture_follows_its_cdf_and_hang_share():
    model = LatencyModel(50, 0.5, 2, 1.5, 5)
    draws = timeouts.draw(model, N, seed=8)
    answered = [x for x in draws if x is not None]
    h = 0.05
    assert abs(len(draws) - len(answered) - h * N) < 4 * math.sqrt(h * (1 - h) * N)
    for x in (20, 50, 100, 150, 300, 1000):  # P(X > x) against the closed form, binomial SE
        share = sum(1 for v in answered if v > x) / len(answered)
        sf = model.sf(x)
        assert abs(share - sf) < 4 * math.sqrt(sf * (1 - sf) / len(answered)) + 1e-9, x


# ---- false timeouts and thread-seconds ------------------------------------------------------------

def test_false_timeout_rate_is_the_share_of_answering_calls_above_the_timeout():
    kwargs = dict(median_ms=40, sigma=0.7, tail_pct=3, tail_alpha=1.3, hang_pct=1.0, timeout_ms=250, seed=5)
    result = timeouts.tradeoff(**kwargs)
    model = LatencyModel(40, 0.7, 3, 1.3, 1.0)
    draws = timeouts.draw(model, N, 5)
    answered = [x for x in draws if x is not None]
    hung = len(draws) - len(answered)
    assert result["hung"] == hung

    def share_above(t):
        return sum(1 for x in answered if x > t) / len(answered)

    assert result["timeout"]["false_timeout_rate"] == round(share_above(250), 6)
    curve = result["curve"]
    for t, rate in list(zip(curve["timeout_ms"], curve["false_timeout_rate"]))[::8]:
        assert rate == round(share_above(t), 6)
    for rule in result["rules"]:
        assert rule["false_timeout_rate"] == round(share_above(rule["timeout_ms"]), 6)
    # Against the closed form P(X > t): binomial standard error.
    sf = model.sf(250)
    assert result["timeout"]["false_timeout_rate_exact"] == pytest.approx(sf, abs=1e-6)
    assert abs(result["timeout"]["false_timeout_rate"] - sf) < 4 * math.sqrt(sf * (1 - sf) / len(answered))
    # Thread-seconds per 1,000 requests = mean ms held per request, hung calls held for the whole timeout.
    held = (sum(min(x, 250) for x in answered) + hung * 250) / len(draws)
    assert result["timeout"]["thread_seconds_per_1000"] == pytest.approx(held, abs=0.051)
    # The curve is a trade-off: longer timeouts cut fewer calls and hold threads longer.
    rates, held_curve = curve["false_timeout_rate"], curve["thread_seconds_per_1000"]
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert all(a <= b for a, b in zip(held_curve, held_curve[1:]))


@pytest.mark.parametrize("args", [(50, 0.5, 2, 1.5, 0.5), (20, 1.0, 10, 1.0, 0), (100, 0.3, 0, 2, 3)])
def test_thread_seconds_closed_form(args):
    model = LatencyModel(*args)
    for t in (10, 60, 150, 700, 5000):
        # E[min(X, t)] = integral_0^t P(X > x) dx, by Simpson's rule on a log grid.
        n, lo = 4000, 1e-6
        grid = [lo * (t / lo) ** (i / n) for i in range(n + 1)]
        f = [model.sf(x) * x for x in grid]  # dx = x d(ln x)
        h = math.log(t / lo) / n
        integral = lo + h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))
        assert model.mean_capped(t) == pytest.approx(integral, rel=1e-6)
        assert model.thread_seconds_per_1000(t) == pytest.approx(
            (1 - model.hang) * integral + model.hang * t, rel=1e-6)


def test_sampled_thread_seconds_agree_with_the_closed_form():
    result = timeouts.tradeoff(seed=3)
    model = LatencyModel(50, 0.5, 2, 1.5, 0.5)
    draws = timeouts.draw(model, N, 3)
    for rule in result["rules"] + [result["timeout"]]:
        t = rule["timeout_ms"]
        held = [t if x is None else min(x, t) for x in draws]
        se = statistics.stdev(held) / math.sqrt(N)
        assert abs(rule["thread_seconds_per_1000"] - model.thread_seconds_per_1000(t)) < 4 * se + 0.1


def test_rules_and_no_timeout():
    result = timeouts.tradeoff(timeout_ms=None)
    p = result["percentiles_ms"]
    rules = {r["rule"]: r["timeout_ms"] for r in result["rules"]}
    assert rules["3 x p99"] == pytest.approx(3 * p["p99"], abs=0.2)
    assert rules["p99.9"] == pytest.approx(p["p99.9"], abs=0.1)
    assert rules["p99 + 3 sigma"] == pytest.approx(p["p99"] + 3 * result["std_ms"], abs=0.2)
    # Without a timeout nothing is cut, and hung calls hold their threads for ever.
    assert result["timeout"]["false_timeout_rate"] == 0
    assert result["timeout"]["thread_seconds_per_1000"] is None
    assert result["closed_form"]["std_ms"] is None  # alpha = 1.5 <= 2: infinite variance
    calm = timeouts.tradeoff(hang_pct=0, timeout_ms=None, tail_pct=0)
    assert calm["timeout"]["thread_seconds_per_1000"] == pytest.approx(calm["mean_ms"], abs=0.1)


def test_histogram_accounts_for_every_answer_and_matches_expected_counts():
    result = timeouts.tradeoff()
    hist = result["histogram"]
    assert len(hist["counts"]) == len(hist["expected"]) == len(hist["edges_ms"]) - 1 == timeouts.HISTOGRAM_BINS
    assert sum(hist["counts"]) + hist["below"] + hist["overflow"] == result["answered"]
    # Counts per bin are binomial around the expected count.
    for count, expected in zip(hist["counts"], hist["expected"]):
        assert abs(count - expected) < 4 * math.sqrt(expected) + 3


def test_tradeoff_deterministic_and_json():
    a = timeouts.tradeoff(seed=9)
    assert json.dumps(a, sort_keys=True, allow_nan=False) == json.dumps(timeouts.tradeoff(seed=9), sort_keys=True)
    assert a["percentiles_ms"] != timeouts.tradeoff(seed=10)["percentiles_ms"]


# ---- retries under a deadline ---------------------------------------------------------------------

def test_worst_case_schedule_with_the_seed_backoff():
    result = timeouts.retry_budget()
    # 600 ms per attempt, then 100, 200, 400, 800 ms of backoff: attempts start at 0, 700, 1500, 2500, 3900.
    assert [r["start_ms"] for r in result["schedule"]] == [0, 700, 1500, 2500, 3900]
    assert result["worst_case_ms"] == 4500
    # A 1,000 ms deadline fits one full attempt and 300 ms of a second.
    assert result["attempts_fit"] == 1 and result["attempts_started_within_deadline"] == 2
    assert [r["bounded_timeout_ms"] for r in result["schedule"]] == [600, 300, None, None, None]
    assert [r["fits"] for r in result["schedule"]] == ["full", "partial", "no", "no", "no"]


def test_deadline_bounds_the_sum_and_loses_nothing_the_caller_could_use():
    result = timeouts.retry_budget()
    per_attempt, bounded = result["policies"]["per_attempt"], result["policies"]["deadline"]
    assert bounded["max_ms"] <= timeouts.DEFAULT_DEADLINE_MS
    assert bounded["over_deadline"] == 0 and bounded["attempts_after_deadline"] == 0
    assert bounded["wasted_thread_seconds_per_1000"] == 0
    # Without the deadline, some calls are still retrying after the caller left.
    assert per_attempt["max_ms"] > 2 * timeouts.DEFAULT_DEADLINE_MS
    assert per_attempt["attempts_after_deadline"] > 0 and per_attempt["over_deadline"] > 0
    # Same draws for both: an answer the caller can still use arrives by attempt k at start_k + x <= D,
    # exactly when the bounded attempt (limit min(T, D - start_k)) succeeds too. So the deadline
    # costs no useful success; it only stops the useless ones.
    assert per_attempt["success_within_deadline"] == bounded["success_within_deadline"]
    assert per_attempt["success_rate"] > bounded["success_rate"]
    assert per_attempt["thread_seconds_per_1000"] > bounded["thread_seconds_per_1000"]


def test_retry_failure_rates_agree_with_independent_attempts():
    """An attempt with budget b fails with q(b) = h + (1 - h) P(X > b); the call fails if all do."""
    kwargs = dict(median_ms=50, sigma=0.5, tail_pct=2, tail_alpha=1.5, hang_pct=30,
                  attempt_timeout_ms=120, max_attempts=3, backoff_ms=50, deadline_ms=400, seed=4)
    result = timeouts.retry_budget(**kwargs)
    model = LatencyModel(50, 0.5, 2, 1.5, 30)

    def q(b):
        return 0.3 + 0.7 * model.sf(b)

    # Attempts start at 0, 170, 390 ms: budgets 120, 120, and 10 under a 400 ms deadline.
    assert [r["start_ms"] for r in result["schedule"]] == [0, 170, 390]
    expected = {"per_attempt": q(120) ** 3, "deadline": q(120) ** 2 * q(10)}
    n = timeouts.RETRY_REQUESTS
    for name, p_fail in expected.items():
        assert result["closed_form"]["failure_rate"][name] == pytest.approx(p_fail, abs=1e-8)
        simulated = 1 - result["policies"][name]["success_rate"]
        assert abs(simulated - p_fail) < 4 * math.sqrt(p_fail * (1 - p_fail) / n), name
    # Attempts per call: 1 + q + q^2 for three full attempts.
    assert result["policies"]["per_attempt"]["attempts_per_request"] == pytest.approx(
        1 + q(120) + q(120) ** 2, abs=4 * 0.8 / math.sqrt(n))


def test_retry_budget_deterministic_and_json():
    a = timeouts.retry_budget(seed=2)
    assert json.dumps(a, sort_keys=True, allow_nan=False) == json.dumps(timeouts.retry_budget(seed=2), sort_keys=True)


@pytest.mark.parametrize("declared, model", [(TIMEOUT_TRADEOFF_PARAMS, timeouts.tradeoff),
                                             (TIMEOUT_RETRY_BUDGET_PARAMS, timeouts.retry_budget)])
def test_parameters_match_the_model(declared, model):
    signature = inspect.signature(model).parameters
    assert list(declared.by_name) == list(signature)
    for p in declared:
        assert p.default == signature[p.name].default, p.name
        assert p.label and p.help
        if p.kind in ("int", "float"):
            assert p.min <= p.default <= p.max
            steps = (p.default - p.min) / p.step
            assert abs(steps - round(steps)) < 1e-9, f"{p.name}: the slider cannot land on the default"


def test_moving_the_timeout_reuses_the_sample_and_changes_nothing_else():
    timeouts._measured.cache_clear()
    first = timeouts.tradeoff(timeout_ms=450, seed=5)
    moved = timeouts.tradeoff(timeout_ms=900, seed=5)
    assert timeouts._measured.cache_info().hits == 1  # one sample served both timeouts
    timeouts._measured.cache_clear()
    assert timeouts.tradeoff(timeout_ms=900, seed=5) == moved  # the same as drawn afresh
    assert {k: v for k, v in first.items() if k not in ("timeout", "curve", "histogram")} == \
           {k: v for k, v in moved.items() if k not in ("timeout", "curve", "histogram")}
    assert first["timeout"] != moved["timeout"]
