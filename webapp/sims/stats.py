"""Order statistics shared by every model, so that "p99" means one thing in the whole course."""

from __future__ import annotations


def percentile(sorted_values: list[float], p: float) -> float | None:
    """The p-th percentile (p in 0-100) of an ascending list, by linear interpolation between
    order statistics: rank p/100 x (n - 1), NumPy's default ("type 7" of Hyndman and Fan).
    None for an empty list."""
    if not sorted_values:
        return None
    rank = p / 100 * (len(sorted_values) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (rank - lo)
