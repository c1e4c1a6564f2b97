"""Java resilience4j (2.x): Spring Boot YAML (resilience4j-spring-boot3), with the builder code below it.

resilience4j's defaults, from its documentation: Retry maxAttempts 3 (the first call included),
waitDuration 500 ms; CircuitBreaker failureRateThreshold 50 %, COUNT_BASED window of 100, minimum 100
calls, 60 s open, 10 calls half-open; Bulkhead maxConcurrentCalls 25, maxWaitDuration 0; TimeLimiter
1 s. A randomized wait with factor f draws from delay × [1 − f, 1 + f].
"""

from __future__ import annotations

from .formats import Rendered, comment_block, yaml_text, spring_duration
from .policy import Breaker, Mapping, Policy, Retry

LABEL = "Java resilience4j"
VERSION = "resilience4j 2.3 (Spring Boot 3 starter)"
# The randomization factor nearest to each demo jitter; importing reads < 0.75 as equal, else full.
JITTER_FACTOR = {"full": 1.0, "equal": 0.5, "decorrelated": 1.0}


def expresses(policy: Policy) -> bool:
    return any(x is not None for x in (policy.retry, policy.timeout_ms, policy.breaker, policy.bulkhead))


def retry_config(retry: Retry, label: str, notes: list[str]) -> dict:
    config: dict = {"maxAttempts": retry.attempts, "waitDuration": spring_duration(retry.base_ms)}
    if retry.multiplier != 1:
        config["enableExponentialBackoff"] = True
        config["exponentialBackoffMultiplier"] = retry.multiplier
        if retry.cap_ms is not None:
            config["exponentialMaxWaitDuration"] = spring_duration(retry.cap_ms)
    if retry.jitter != "none":
        factor = JITTER_FACTOR[retry.jitter]
        config["enableRandomizedWait"] = True
        config["randomizedWaitFactor"] = factor
        notes.append(f"{label}: {retry.jitter} jitter draws below the delay; resilience4j randomizes around "
                     f"it, delay × [1 − f, 1 + f]. Nearest: randomizedWaitFactor {factor:g}."
                     + (" It has no decorrelated jitter." if retry.jitter == "decorrelated" else ""))
    return config


def breaker_config(br: Breaker, label: str, notes: list[str]) -> dict:
    if br.policy == "consecutive":
        # The last N calls all failed is exactly N failures in a row: a count window of N at 100 %.
        config = {"slidingWindowType": "COUNT_BASED", "slidingWindowSize": br.failure_threshold,
                  "minimumNumberOfCalls": br.failure_threshold, "failureRateThreshold": 100}
        notes.append(f"{label}: resilience4j has no 'failures in a row'; a COUNT_BASED window of "
                     f"{br.failure_threshold} calls at 100 % trips on exactly {br.failure_threshold} failures "
                     "in a row. Half-open it then closes unless every test call fails.")
        threshold = 100
    else:
        size = br.window_s if br.window_kind == "time" else br.window_calls
        config = {"slidingWindowType": "TIME_BASED" if br.window_kind == "time" else "COUNT_BASED",
                  "slidingWindowSize": size, "minimumNumberOfCalls": br.min_calls,
                  "failureRateThreshold": br.rate_threshold}
        threshold = br.rate_threshold
    config["waitDurationInOpenState"] = spring_duration(br.open_s * 1000)
    config["permittedNumberOfCallsInHalfOpenState"] = br.probes
    config["automaticTransitionFromOpenToHalfOpenEnabled"] = br.half_open_on == "timer"
    needed = half_open_successes(br.probes, threshold)
    if br.policy == "rate" and needed != br.probe_successes:
        notes.append(f"{label}: resilience4j closes after all {br.probes} test calls when their failure rate "
                     f"is below {threshold} %, i.e. on {needed} successes; the demo needs "
                     f"{br.probe_successes}. Nearest: permittedNumberOfCallsInHalfOpenState {br.probes}.")
    if br.half_open_decision == "early":
        notes.append(f"{label}: the demo decides as soon as the half-open outcome is certain; resilience4j "
                     "waits for every permitted test call.")
    return config


def half_open_successes(probes: int, threshold: float) -> int:
    """Successes among `probes` test calls that bring the failure rate below `threshold` %."""
    for successes in range(probes + 1):
        if (probes - successes) * 100 < threshold * probes:
            return successes
    return probes


def _java(policy: Policy, sections: dict) -> list[str]:
    n = policy.name
    lines = []
    if "retry" in sections:
        r = sections["retry"]
        wait = f"Duration.parse(\"PT{_iso(r['waitDuration'])}\")"
        if r.get("enableExponentialBackoff") and r.get("enableRandomizedWait"):
            interval = (f"IntervalFunction.ofExponentialRandomBackoff({wait}, {r['exponentialBackoffMultiplier']}, "
                        f"{r['randomizedWaitFactor']}" + (f", Duration.parse(\"PT{_iso(r['exponentialMaxWaitDuration'])}\")"
                                                          if "exponentialMaxWaitDuration" in r else "") + ")")
        elif r.get("enableExponentialBackoff"):
            interval = (f"IntervalFunction.ofExponentialBackoff({wait}, {r['exponentialBackoffMultiplier']}"
                        + (f", Duration.parse(\"PT{_iso(r['exponentialMaxWaitDuration'])}\")"
                           if "exponentialMaxWaitDuration" in r else "") + ")")
        elif r.get("enableRandomizedWait"):
            interval = f"IntervalFunction.ofRandomized({wait}, {r['randomizedWaitFactor']})"
        else:
            interval = f"IntervalFunction.of({wait})"
        lines += [f"Retry retry_{n} = Retry.of(\"{n}\", RetryConfig.custom()",
                  f"    .maxAttempts({r['maxAttempts']})", f"    .intervalFunction({interval})", "    .build());"]
    if "circuitbreaker" in sections:
        c = sections["circuitbreaker"]
        lines += [f"CircuitBreaker breaker_{n} = CircuitBreaker.of(\"{n}\", CircuitBreakerConfig.custom()",
                  f"    .slidingWindow({c['slidingWindowSize']}, {c['minimumNumberOfCalls']}, "
                  f"SlidingWindowType.{c['slidingWindowType']})",
                  f"    .failureRateThreshold({c['failureRateThreshold']})",
                  f"    .waitDurationInOpenState(Duration.parse(\"PT{_iso(c['waitDurationInOpenState'])}\"))",
                  f"    .permittedNumberOfCallsInHalfOpenState({c['permittedNumberOfCallsInHalfOpenState']})",
                  f"    .automaticTransitionFromOpenToHalfOpenEnabled("
                  f"{str(c['automaticTransitionFromOpenToHalfOpenEnabled']).lower()})",
                  "    .build());"]
    if "bulkhead" in sections:
        b = sections["bulkhead"]
        lines += [f"Bulkhead bulkhead_{n} = Bulkhead.of(\"{n}\", BulkheadConfig.custom()",
                  f"    .maxConcurrentCalls({b['maxConcurrentCalls']})",
                  f"    .maxWaitDuration(Duration.parse(\"PT{_iso(b['maxWaitDuration'])}\"))", "    .build());"]
    if "timelimiter" in sections:
        t = sections["timelimiter"]
        lines += [f"TimeLimiter limiter_{n} = TimeLimiter.of(TimeLimiterConfig.custom()",
                  f"    .timeoutDuration(Duration.parse(\"PT{_iso(t['timeoutDuration'])}\"))",
                  "    .cancelRunningFuture(true)", "    .build());"]
    return lines


def _iso(spring: str) -> str:
    """'500ms' -> '0.5S', '60s' -> '60S' (the ISO-8601 tail of a Duration.parse text)."""
    if spring.endswith("ms"):
        return f"{int(spring[:-2]) / 1000:g}S"
    return spring[:-1] + "S"


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    kinds: dict[str, dict] = {}
    java: list[str] = []
    for p in policies:
        sections: dict = {}
        if p.retry is not None:
            sections["retry"] = retry_config(p.retry, p.label, notes)
        if p.breaker is not None:
            sections["circuitbreaker"] = breaker_config(p.breaker, p.label, notes)
        if p.bulkhead is not None:
            b = p.bulkhead
            wait = 0 if b.queue == 0 else (b.queue_timeout_ms if b.queue_timeout_ms is not None else 3_600_000)
            sections["bulkhead"] = {"maxConcurrentCalls": b.max_concurrent, "maxWaitDuration": spring_duration(wait)}
            if b.queue:
                notes.append(f"{p.label}: a semaphore bulkhead does not bound how many calls wait; for a queue "
                             f"of {b.queue} use thread-pool-bulkhead (maxThreadPoolSize {b.max_concurrent}, "
                             f"coreThreadPoolSize {b.max_concurrent}, queueCapacity {b.queue}).")
            if b.queue is None or (b.queue and b.queue_timeout_ms is None):
                notes.append(f"{p.label}: the demo's calls may wait for ever; nearest maxWaitDuration: 1 h.")
        if p.timeout_ms is not None:
            sections["timelimiter"] = {"timeoutDuration": spring_duration(p.timeout_ms), "cancelRunningFuture": True}
            notes.append(f"{p.label}: TimeLimiter times out asynchronous calls (CompletableFuture); for a "
                         f"blocking call set the HTTP client's timeout to {p.timeout_ms} ms instead.")
        if p.deadline_ms is not None:
            notes.append(f"{p.label}: resilience4j has no deadline across retries; nearest: a TimeLimiter of "
                         f"{p.deadline_ms} ms decorating the Retry (outside it), which cancels the whole call.")
        if p.budget is not None:
            notes.append(f"{p.label}: resilience4j has no retry budget; a CircuitBreaker on the retries or a "
                         "RateLimiter is the nearest.")
        for kind, config in sections.items():
            kinds.setdefault(kind, {"instances": {}})["instances"][p.name] = config
        java += _java(p, sections) + [""]
    header = [f"Reliability Lab: {title}, as {VERSION}.", "maxAttempts counts the first call: 5 is 4 retries.",
              "application.yml. Decorate in resilience4j's order: Retry(CircuitBreaker(TimeLimiter(Bulkhead(call))))."]
    text = (comment_block(header, "#") + "\n" + yaml_text({"resilience4j": kinds})
            + "\n" + comment_block(["The same in code (resilience4j's builders):", ""] + java[:-1], "#") + "\n")
    return Rendered(text, "yaml", notes)
