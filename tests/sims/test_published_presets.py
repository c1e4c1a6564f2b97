"""Presets that reproduce published results (webapp/demos/retry_storms.py), each checked over seeds
1-20: every count a preset's note states is the count the model gives, so a model change that
falsifies a note fails here. Brooker's 2015 OCC experiment (the preset "Brooker's 50 clients") is
checked over the same seeds in test_contention.py."""

import pytest

from webapp.demos import REGISTRY, load_all

load_all()
SEEDS = range(1, 21)
DEMO = REGISTRY["retry-budget"]
PRESETS = {p.name: p for p in DEMO.presets}


def outcomes(values: dict, strategy: str) -> dict:
    """{outcome: seeds} for one strategy of this state over SEEDS."""
    counts = {}
    for seed in SEEDS:
        s = DEMO.run({**values, "seed": seed, "strategies": ("none", strategy)})["strategies"][strategy]
        counts[s["outcome"]] = counts.get(s["outcome"], 0) + 1
    return counts


# (preset, values changed from it, strategy, outcome, seeds out of 20, the words of the note that state it)
CLAIMS = [
    ("bronson-2021", {}, "retries", "overloaded", 20, "plain retries stay overloaded in 20 of 20 seeds"),
    ("bronson-2021", {}, "none", "overloaded", 20, "does not recover without retries either before the run ends"),
    ("bronson-2021-low-load", {}, "retries", "recovered", 19, "plain retries recover in 19 of 20 seeds"),
    ("bronson-2021-low-load", {"rate": 45}, "retries", "overloaded", 20,
     "At 45 req/s they stay overloaded in 20 of 20 seeds"),
    ("brooker-stability-sim", {}, "retries", "overloaded", 20,
     "Plain retries keep the server overloaded after it returns in 20 of 20 seeds"),
    ("brooker-stability-sim", {}, "none", "recovered", 20, "without retries it recovers in 20 of 20 seeds"),
]


@pytest.mark.parametrize("preset,change,strategy,outcome,seeds,words", CLAIMS,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CLAIMS])
def test_the_note_states_what_the_model_gives_over_seeds(preset, change, strategy, outcome, seeds, words):
    p = PRESETS[preset]
    assert words in p.note
    assert outcomes({**DEMO.preset_values(p), **change}, strategy).get(outcome, 0) == seeds


@pytest.mark.parametrize("name", ["bronson-2021", "bronson-2021-low-load", "brooker-stability-sim"])
def test_a_published_preset_names_its_source(name):
    note = PRESETS[name].note
    assert "Bronson et al., “Metastable Failures in Distributed Systems” (HotOS 2021)" in note or \
        "Bronson et al. (HotOS 2021)" in note or "Marc Brooker's Stability Sim (2026)" in note


def test_the_scaling_of_bronsons_example():
    v = DEMO.preset_values(PRESETS["bronson-2021"])
    assert v["rate"] / 100 == pytest.approx(280 / 300, abs=0.04)  # 280 of 300 QPS
    assert (v["trigger_s"], v["timeout_ms"], v["attempts"]) == (10, 1000, 2)  # 10 s trigger, a retry after 1 s
    b = DEMO.preset_values(PRESETS["brooker-stability-sim"])
    assert (b["rate"], b["attempts"], b["timeout_ms"], b["drop_pct"], b["trigger_s"], b["trigger_at_s"]) == \
        (70, 4, 1000, 50, 5, 5)  # one of two servers down from 5 s to 10 s: half the capacity


def test_the_trigger_start_defaults_to_the_old_constant_and_moves_the_trigger():
    from webapp.sims import retry_budget as rb
    for kw in ({}, {"rate": 90, "drop_pct": 10, "trigger_s": 10, "attempts": 2}, {"trigger_s": 0, "seed": 4}):
        assert rb.retry_budget(**kw) == rb.retry_budget(**kw, trigger_at_s=10)
    early = rb.retry_budget(trigger_at_s=5, strategies=("none",))
    assert (early["trigger"]["start_ms"], early["trigger"]["end_ms"]) == (5000, 10000)
    assert early["fluid_recovered_at_ms"] == 1000 * rb.fluid_recovery_s(85, 50, 5, 1000, trigger_at_s=5)
    late = rb.retry_budget(strategies=("none",))
    queue = {name: r["strategies"]["none"]["series"]["queue"] for name, r in (("early", early), ("late", late))}
    assert max(queue["early"][5:10]) > 100 > 40 > max(queue["late"][5:10])  # the backlog builds from 5 s on
    assert max(queue["late"][10:15]) > 100


def test_brookers_occ_preset_names_its_source_and_its_seeds():
    from webapp.sims import contention

    demo = REGISTRY["backoff-contention"]
    preset = next(p for p in demo.presets if p.name == "fifty")
    assert "“Exponential Backoff And Jitter” (AWS Architecture Blog, 2015)" in preset.note
    assert "holds in every one of seeds 1–20" in preset.note
    values = demo.preset_values(preset)
    assert (values["clients"], values["runs"]) == (50, 10)
    for seed in SEEDS:  # the ranking of the post: full jitter fewest calls, no jitter slowest by far
        s = contention.contention(clients=50, runs=10, seed=seed)["strategies"]
        assert min(s, key=lambda k: s[k]["calls"]) == "full"
        assert max(s, key=lambda k: s[k]["time"]) == "exponential"
