"""Closed forms of queueing theory that the pool simulations are held to.

Notation (textbook, e.g. Kleinrock, "Queueing Systems" vol. 1; Gross & Harris, "Fundamentals of
Queueing Theory"): arrivals at rate lambda (Poisson), mean service time S = 1/mu (exponential),
c servers (threads). The offered load a = lambda * S is in Erlangs: the mean number of busy
threads the traffic asks for. rho = a / c is the utilisation of each thread.

- Erlang B, B(c, a): the share of arrivals rejected by c threads with NO queue (M/M/c/c). It holds
  for any service-time distribution with that mean (the loss formula is insensitive).
- Erlang C, C(c, a): the probability that an arrival has to wait, for c threads and an unbounded
  FIFO queue (M/M/c), a < c. Mean wait Wq = C * S / (c - a); P(wait > t) = C * exp(-(c - a) t / S).
- M/M/c/K: c threads and at most k waiting; the exact stationary distribution is a finite sum.
- Little's law L = lambda * W: holds for any stable system, whatever the distributions.
Pure functions of numbers, no simulation here.
"""

from __future__ import annotations

import math

# Hystrix's sizing example (Netflix Hystrix wiki, "Configuration", coreSize): 30 rps x 0.2 s = 6
# threads busy at p99, "plus some breathing room" = 10. Room of 2/3 reproduces their 6 -> 10.
HYSTRIX_ROOM = 2 / 3


def erlang_b(c: int, offered_load: float) -> float:
    """Blocking probability of c servers with no queue. Stable recursion, no factorials:
    B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))."""
    _check(c, offered_load)
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(c: int, offered_load: float) -> float:
    """Probability that an arrival waits (all c threads busy) in M/M/c; 1.0 when a >= c (unstable:
    the queue grows without bound and eventually everyone waits)."""
    _check(c, offered_load)
    if c == 0 or offered_load >= c:
        return 1.0
    b = erlang_b(c, offered_load)
    rho = offered_load / c
    return b / (1 - rho * (1 - b))


def mmc_mean_wait(c: int, arrival_rate: float, mean_service: float) -> float:
    """Mean time in the queue (before a thread picks the job up) in M/M/c, averaged over all
    arrivals, those that did not wait included: Wq = C(c, a) * S / (c - a). inf if unstable."""
    a = arrival_rate * mean_service
    if a >= c:
        return math.inf
    return erlang_c(c, a) * mean_service / (c - a)


def mmc_wait_exceeds(c: int, arrival_rate: float, mean_service: float, t: float) -> float:
    """P(queue wait > t) in M/M/c: C(c, a) * exp(-(c - a) * t / S). The waits of those who wait
    are exponential with rate c*mu - lambda."""
    a = arrival_rate * mean_service
    if a >= c:
        return 1.0
    return erlang_c(c, a) * math.exp(-(c - a) * t / mean_service)


def littles_l(arrival_rate: float, mean_time: float) -> float:
    """Little's law: the mean number inside = arrival rate x mean time spent inside (L = lambda W).
    For threads: mean busy threads = rate of requests served x mean service time."""
    return arrival_rate * mean_time


def mmck(c: int, queue_limit: int | None, arrival_rate: float, mean_service: float) -> dict:
    """Exact steady state of c threads with at most `queue_limit` waiting (None: unbounded = M/M/c).

    Returns (per arrival, by PASTA: Poisson arrivals see time averages)
      p_wait    share of arrivals that find every thread busy and join the queue
      p_reject  share rejected because the queue is full (Erlang B when queue_limit == 0)
      mean_wait mean queue wait of the admitted, zero waits included (time units of mean_service)
      mean_queue, mean_busy   time-average jobs waiting / threads busy (Little: busy = a(1 - p_reject))
    """
    a = arrival_rate * mean_service
    if queue_limit is None:
        if a >= c:
            return {"p_wait": 1.0, "p_reject": 0.0, "mean_wait": math.inf, "mean_queue": math.inf,
                    "mean_busy": float(c), "stable": False}
        pc = erlang_c(c, a)
        wq = mmc_mean_wait(c, arrival_rate, mean_service)
        return {"p_wait": pc, "p_reject": 0.0, "mean_wait": wq, "mean_queue": arrival_rate * wq,
                "mean_busy": a, "stable": True}
    _check(c, a)
    # Unnormalised log-probabilities of n jobs inside, n = 0 .. c + k: a^n/n! up to c, then
    # geometric with ratio rho. Logs avoid overflow for pools of hundreds of threads.
    logs, log_term = [], 0.0
    log_a = math.log(a) if a > 0 else -math.inf
    for n in range(c + queue_limit + 1):
        if n > 0:
            log_term += log_a - math.log(min(n, c)) if a > 0 else -math.inf
        logs.append(log_term)
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    p = [w / total for w in weights]
    p_reject = p[-1]
    p_wait = math.fsum(p[c:c + queue_limit])
    mean_queue = sum((n - c) * p[n] for n in range(c + 1, len(p)))
    mean_busy = sum(min(n, c) * p[n] for n in range(len(p)))
    admitted = arrival_rate * (1 - p_reject)
    return {"p_wait": p_wait, "p_reject": p_reject,
            "mean_wait": mean_queue / admitted if admitted > 0 else 0.0,
            "mean_queue": mean_queue, "mean_busy": mean_busy, "stable": True}


def hystrix_pool_size(peak_rps: float, p99_s: float, room: float = HYSTRIX_ROOM) -> dict:
    """Hystrix's rule: threads = requests/s at peak when healthy x p99 latency (s) + breathing room.

    The first product is Little's law applied to the slowest 1%: how many threads would be busy if
    every request took p99. `room` is a fraction added on top (2/3 turns Hystrix's 6 into 10).
    """
    busy = peak_rps * p99_s
    return {"busy_at_p99": busy, "threads": max(1, math.ceil(busy * (1 + room) - 1e-9))}


def _check(c: int, a: float) -> None:
    if c < 0 or a < 0 or not math.isfinite(a):
        raise ValueError(f"need c >= 0 and a finite offered load >= 0, got c={c}, a={a}")
