"""Which five controls of a demo come first; the rest fold into "More settings".

A phone shows a few controls under the chart, so each demo leads with the settings its lesson asks
the learner to move. A demo not listed leads with its first five declared parameters.
"""

from __future__ import annotations

UP_FRONT = 5

PRIMARY = {
    "backoff-timeline": ("base_ms", "multiplier", "max_attempts", "jitter", "down_ms"),
    "degradation": ("article", "comments", "recommendations", "ads", "timeout_ms"),
    "retry-storm": ("clients", "outage_ms", "base_ms", "max_attempts", "jitter"),
    "breaker-timeline": ("outage_s", "failure_mode", "policy", "failure_threshold", "open_s"),
    "cascade": ("pool", "slow_s", "timeout_ms", "runs", "failure_threshold"),
    "bulkhead": ("slow_factor", "shared_size", "search_pool", "checkout_pool", "queue_limit"),
    "retry-budget": ("rate", "drop_pct", "trigger_s", "attempts", "strategies"),
    "timeout-tradeoff": ("median_ms", "sigma", "tail_pct", "hang_pct", "timeout_ms"),
    "timeout-retry-budget": ("hang_pct", "attempt_timeout_ms", "max_attempts", "backoff_ms", "deadline_ms"),
}


def control_groups(demo) -> tuple[list, list]:
    """(the controls shown first, those under "More settings"), each in declaration order."""
    params = list(demo.params.params)
    first = set(PRIMARY.get(demo.id, [p.name for p in params[:UP_FRONT]]))
    return [p for p in params if p.name in first], [p for p in params if p.name not in first]


def check() -> None:
    """Every listed name is a parameter of its demo, and at most five are listed."""
    from .demos import REGISTRY
    for demo_id, names in PRIMARY.items():
        known = set(REGISTRY[demo_id].params.by_name)
        assert len(names) <= UP_FRONT and set(names) <= known, (demo_id, set(names) - known)
