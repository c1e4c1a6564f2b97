"""The figures preset notes quote from their model, checked against it (the notes are plain text in
webapp/demos/*.py; chance claims in them are in test_chance_claims.py). Each row: the demo and
preset, the words of the note, an expression over the preset's result (as in a lesson quote) and the
figure as the note writes it, with the quote's format."""

import pytest

from webapp import quotes
from webapp.demos import load_all

REGISTRY = load_all()

FIGURES = (
    ("backoff-timeline", "seed-table", "fails at 0, 100, 300, 700 and 1,500 ms",
     "[a.start_ms for a in attempts]", None, "[0, 100, 300, 700, 1500]"),
    ("backoff-timeline", "seed-table", "then gives up", "gave_up", None, "True"),
    ("backoff-timeline", "recovers", "attempt 4 succeeds", "attempts[-1].attempt", None, "4"),
    ("backoff-timeline", "recovers", "attempt 4 succeeds", "attempts[-1].outcome", None, "success"),
    ("retry-storm", "no-jitter", "all 1,000 clients in the same 10 ms", "strategies.none.peak_retries_per_bucket", None, "1,000"),
    ("cascade", "big-pool", "600 threads held", "littles_law.slow_without_breaker.demand", ".0f", "600"),
    ("cascade", "big-pool", "no queue", "runs.without.totals.peak_queue", None, "0"),
    ("fallacy-network", "five-calls", "the whole 95%", "success * 100", ".0f", "95"),
    ("fallacy-latency", "same-dc", "60 ms against 10.5 ms", "f'{chatty_ms:g} ms against {batched_ms:g} ms'", None,
     "60 ms against 10.5 ms"),
    ("fallacy-latency", "cross-region", "takes 7 seconds", "chatty_ms / 1000", ".0f", "7"),
    ("fallacy-bandwidth", "busy", "64% busy", "utilisation * 100", ".0f", "64"),
    ("fallacy-bandwidth", "nearly-full", "93% busy", "utilisation * 100", ".0f", "93"),
    ("fallacy-bandwidth", "overload", "127%", "utilisation * 100", ".0f", "127"),
    ("retry-amplification", "down", "4³ = 64 attempts", "policies.every_layer.worst", None, "64"),
    ("retry-amplification", "one-layer", "3 retries send 4", "policies.every_layer.worst", None, "4"),
    ("retry-amplification", "deep", "5⁶ = 15,625 attempts", "policies.every_layer.worst", None, "15,625"),
    ("backoff-contention", "one-client", "1 call in 4 hops", "strategies.full.calls", None, "1"),
    ("timeout-tradeoff", "seed", "the p99 of about 200 ms", "percentiles_ms['p99']", ".0f", "202"),
    ("timeout-tradeoff", "p99", "1 % of good calls cut off", "timeout.false_timeout_rate * 100", ".0f", "1"),
)


@pytest.mark.parametrize(("demo_id", "preset", "words", "expr", "fmt", "figure"), FIGURES,
                         ids=[f"{f[0]}@{f[1]}:{f[2]}" for f in FIGURES])
def test_the_preset_note_quotes_its_model(demo_id, preset, words, expr, fmt, figure):
    note = next(p.note for p in REGISTRY[demo_id].presets if p.name == preset)
    assert words in note, f"the note of {demo_id}@{preset} no longer says {words!r}: update this row"
    assert quotes.format_value(quotes.value(f"{demo_id}@{preset}", expr), fmt) == figure
