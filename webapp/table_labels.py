"""Human column headers for the on-page data tables.

A demo's `Table.columns` are machine names (`p99_ms`, `success_rate`): the CSV export keeps them, so
scripts that read it do not break. On the page each header is shown as words with its unit
("p99 (ms)", "Success rate"), from the name's unit suffix, with a few words spelled out below.
"""

from __future__ import annotations

# A trailing name part that is a unit: shown in brackets after the words.
UNITS = {"ms": "ms", "s": "s", "per_s": "/s", "rps": "req/s", "pct": "%", "percent": "%", "mb": "MB",
         "usd": "$", "kb": "kB", "bytes": "bytes"}
# Words that read better spelled out or with their own capitals.
WORDS = {"t": "Time", "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99", "p999": "p99.9",
         "rtt": "RTT", "sql": "SQL", "md1": "M/D/1", "mm1": "M/M/1", "mmc": "M/M/c", "stderr": "std. error", "id": "ID",
         "no": "no", "qps": "queries/s", "ok": "OK", "ttl": "TTL", "dns": "DNS", "az": "AZ", "cpu": "CPU"}
# Whole names whose meaning the mechanical reading gets wrong.
NAMES = {"no_page": "No page", "t_ms": "Time (ms)", "t_s": "Time (s)", "rate_per_s": "Rate (/s)",
         "wait_range_ms": "Wait range (ms)"}


def column_label(name: str) -> str:
    """'p99_ms' -> 'p99 (ms)', 'success_rate' -> 'Success rate', 'Already words' unchanged."""
    if name in NAMES:
        return NAMES[name]
    if not name or not name.replace("_", "").isalnum() or name != name.lower():
        return name  # already a human header (or not a snake_case name): leave it alone
    parts = name.split("_")
    unit = ""
    for i in range(len(parts) - 1, -1, -1):  # a unit anywhere ("c_p99_ms_with"); "per_s" before "s"
        two = "_".join(parts[i - 1:i + 1]) if i else ""
        if two in UNITS and len(parts) > 2:
            unit, parts = UNITS[two], parts[:i - 1] + parts[i + 1:]
            break
        if parts[i] in UNITS and len(parts) > 1:
            unit, parts = UNITS[parts[i]], parts[:i] + parts[i + 1:]
            break
    words = [WORDS.get(p, p) for p in parts]
    text = " ".join(words)
    if parts[0] not in WORDS:
        text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def register(app) -> None:
    app.add_template_filter(column_label)
