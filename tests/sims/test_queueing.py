"""The thread pool against queueing theory, and the closed forms against hand-computed values.

Closed forms used here (c threads, arrival rate lambda, mean service S, offered load a = lambda S):
    Erlang B   B(c, a) = (a^c / c!) / sum_{k=0..c} a^k / k!            share rejected, no queue
    Erlang C   C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))
               = P(an arrival waits) in M/M/c
    M/M/c      Wq = C(c, a) S / (c - a)                                    mean wait, all arrivals
    M/M/1/K    p_n = (1 - rho) rho^n / (1 - rho^(K+1)), n = 0..K           K = total capacity
    Little     L = lambda W
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from webapp.sims import queueing as q
from webapp.sims.pool import (CANCELLED, COMPLETED, QUEUED, REJECTED, RUNNING, TIMED_OUT, ThreadPool)


# ---- closed forms against hand computation ------------------------------------------------------

def erlang_c_by_hand(c: int, a: Fraction) -> Fraction:
    """The textbook sum, in exact rational arithmetic."""
    head = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (head + top)


def erlang_b_by_hand(c: int, a: Fraction) -> Fraction:
    return (a ** c / math.factorial(c)) / sum(a ** k / math.factorial(k) for k in range(c + 1))


def test_erlang_c_matches_hand_computed_values():
    # c = 5, a = 4: sum_{k<5} 4^k/k! = 103/3 and (4^5/5!)(5/1) = 128/3, so C = 128/231 = 0.5541...
    assert erlang_c_by_hand(5, Fraction(4)) == Fraction(128, 231)
    assert q.erlang_c(5, 4) == pytest.approx(128 / 231, rel=1e-12)
    # c = 2, a = 1: B = (1/2) / (1 + 1 + 1/2) = 1/5, C = B / (1 - rho (1 - B)) = 1/3.
    assert q.erlang_c(2, 1) == pytest.approx(1 / 3, rel=1e-12)
    # M/M/1: an arrival waits exactly when the server is busy, with probability rho.
    for rho in (0.1, 0.5, 0.9):
        assert q.erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    for c, a in ((3, Fraction(5, 2)), (10, Fraction(8)), (20, Fraction(37, 2))):
        assert q.erlang_c(c, float(a)) == pytest.approx(float(erlang_c_by_hand(c, a)), rel=1e-10)
    assert q.erlang_c(4, 4) == 1.0 and q.erlang_c(4, 9) == 1.0  # unstable: everyone waits


def test_erlang_b_matches_hand_computed_values():
    assert erlang_b_by_hand(5, Fraction(4)) == Fraction(128, 643)
    assert q.erlang_b(5, 4) == pytest.approx(128 / 643, rel=1e-12)
    assert q.erlang_b(1, 3) == pytest.approx(3 / 4, rel=1e-12)  # a / (1 + a)
    for c, a in ((3, Fraction(5, 2)), (10, Fraction(12)), (30, Fraction(45, 2))):
        assert q.erlang_b(c, float(a)) == pytest.approx(float(erlang_b_by_hand(c, a)), rel=1e-10)


def test_large_pools_are_numerically_stable():
    # a^c / c! overflows a float long before c = 350; the recursions and the log-space sum must not.
    b = q.erlang_b(350, 300)
    assert 0 < b < 0.01
    assert q.mmck(350, 0, 300, 1)["p_reject"] == pytest.approx(b, rel=1e-9)
    c = q.erlang_c(350, 340)
    assert 0 < c < 1
    assert q.mmck(350, 5000, 340, 1)["p_wait"] == pytest.approx(c, rel=1e-6)  # K -> infinity: M/M/c


def test_mean_wait_and_wait_tail():
    # M/M/1 with rho = 0.5, S = 1: Wq = rho S / (1 - rho) = 1.
    assert q.mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0, rel=1e-12)
    # c = 5, a = 4: Wq = C S / (c - a) = 128/231 (S = 1).
    assert q.mmc_mean_wait(5, 4, 1.0) == pytest.approx(128 / 231, rel=1e-12)
    assert q.mmc_mean_wait(5, 40, 0.1) == pytest.approx(128 / 231 * 0.1, rel=1e-12)  # scales with S
    assert q.mmc_mean_wait(2, 3, 1.0) == math.inf
    assert q.mmc_wait_exceeds(5, 4, 1.0, 0.0) == pytest.approx(128 / 231)
    assert q.mmc_wait_exceeds(5, 4, 1.0, 2.0) == pytest.approx(128 / 231 * math.exp(-2))
    # The mean of the tail is the mean wait: integral of C e^{-(c-a)t/S} dt = C S / (c - a).


def test_mmck_against_mm1k_and_its_limits():
    # M/M/1 with 2 waiting places (capacity K = 3), rho = 1/2: p_n = (1/2)(1/2)^n / (1 - 1/16).
    m = q.mmck(1, 2, 0.5, 1.0)
    assert m["p_reject"] == pytest.approx(1 / 15, rel=1e-12)
    assert m["p_wait"] == pytest.approx(0.4, rel=1e-12)  # p1 + p2 = (1/4 + 1/8) / (15/16)
    assert m["mean_queue"] == pytest.approx((1 * (1 / 8) + 2 * (1 / 16)) / (15 / 16), rel=1e-12)
    # No queue: Erlang B. Unbounded queue: Erlang C.
    assert q.mmck(5, 0, 4, 1)["p_reject"] == pytest.approx(128 / 643, rel=1e-12)
    assert q.mmck(5, None, 4, 1)["p_wait"] == pytest.approx(128 / 231, rel=1e-12)
    # Little on the threads: mean busy = the load that got in, a (1 - p_reject).
    for k in (0, 1, 3, 10):
        m = q.mmck(4, k, 3.5, 1.0)
        assert m["mean_busy"] == pytest.approx(3.5 * (1 - m["p_reject"]), rel=1e-12)
        assert m["mean_wait"] == pytest.approx(m["mean_queue"] / (3.5 * (1 - m["p_reject"])), rel=1e-12)


def test_littles_law_and_hystrix_rule():
    assert q.littles_l(4, 2.5) == 10
    # Hystrix wiki: 30 rps x 0.2 s = 6, "plus some breathing room" = 10 threads.
    assert q.hystrix_pool_size(30, 0.2) == {"busy_at_p99": pytest.approx(6.0), "threads": 10}
    assert q.hystrix_pool_size(30, 0.2, room=0)["threads"] == 6
    assert q.hystrix_pool_size(0, 1.0)["threads"] == 1


# ---- the pool, event by event -------------------------------------------------------------------

def test_pool_queue_timeout_and_rejection_by_hand():
    pool = ThreadPool(1, queue_limit=1, queue_timeout=0.5)
    a = pool.submit(0.0, 1.0, "a")
    b = pool.submit(0.1, 1.0, "b")
    c = pool.submit(0.2, 1.0, "c")
    assert (a.state, b.state, c.state) == (RUNNING, QUEUED, REJECTED)
    assert c.end == 0.2 and c.wait == 0.0
    pool.advance(0.59)
    assert b.state == QUEUED
    pool.advance(0.6)  # b waited 0.5: gives up before a finishes at 1.0
    assert b.state == TIMED_OUT and b.end == pytest.approx(0.6) and b.start is None
    d = pool.submit(0.7, 0.3, "d")
    assert pool.drain() == pytest.approx(1.3)
    assert a.end == 1.0 and d.start == 1.0 and d.end == pytest.approx(1.3)
    assert pool.counts == {COMPLETED: 2, REJECTED: 1, TIMED_OUT: 1, CANCELLED: 0}
    # Busy 0..1.3 except nothing; queue held b 0.1..0.6 and d 0.7..1.0.
    assert pool.busy_area == pytest.approx(1.3)
    assert pool.queue_area == pytest.approx(0.5 + 0.3)


def test_a_thread_freed_at_the_deadline_still_serves_the_waiting_job():
    pool = ThreadPool(1, queue_limit=5, queue_timeout=1.0)
    pool.submit(0.0, 1.0)
    waiting = pool.submit(0.0, 0.5)
    pool.drain()
    assert waiting.state == COMPLETED and waiting.start == 1.0 and waiting.end == 1.5


def test_fifo_order_and_zero_queue():
    pool = ThreadPool(2, queue_limit=None)
    jobs = [pool.submit(0.1 * i, 1.0, i) for i in range(6)]
    pool.drain()
    starts = [j.start for j in jobs]
    assert starts == sorted(starts)
    assert [j.start for j in jobs[2:]] == pytest.approx([1.0, 1.1, 2.0, 2.1])
    no_queue = ThreadPool(1, queue_limit=0)
    assert no_queue.submit(0, 1).state == RUNNING and no_queue.submit(0.5, 1).state == REJECTED


def test_time_cannot_go_backwards():
    pool = ThreadPool(1)
    pool.submit(1.0, 1.0)
    with pytest.raises(ValueError):
        pool.submit(0.5, 1.0)


def test_release_cancel_and_callbacks_compose_two_pools():
    """A front service holds its thread while it calls a back-end pool: the failure-lab pattern.

    Driver: advance every pool to the earliest pending event of all of them. Front jobs have no
    service time of their own; they end when their back-end call ends (+ 0.1 s of own work).
    """
    log = []
    back = ThreadPool(1, queue_limit=1, name="back")
    front = ThreadPool(2, queue_limit=0, name="front")
    pending = {}  # back job id -> front job
    timers = []   # (time, front job) releases due

    def front_started(job):
        log.append(("front start", job.tag, job.start))
        call = back.submit(job.start, 0.5, job.tag)
        if call.state == REJECTED:  # fail fast: release the front thread right away
            timers.append((job.start, job))
        else:
            pending[call.id] = job

    def back_finished(call):
        log.append(("back " + call.state, call.tag, call.end))
        timers.append((call.end + 0.1, pending.pop(call.id)))

    front.on_start = front_started
    back.on_finish = back_finished

    def run_until(t):
        while True:
            due = min([back.next_event_time(), front.next_event_time(), *(x for x, _ in timers)])
            if due > t:
                break
            back.advance(due)
            front.advance(due)
            for item in [x for x in timers if x[0] <= due]:
                timers.remove(item)
                front.release(item[1], item[0])
        back.advance(t)
        front.advance(t)

    for t, name in ((0.0, "x"), (0.0, "y"), (0.2, "z")):
        run_until(t)
        front.submit(t, None, name)
    run_until(10.0)
    # x gets the back end at 0 (done 0.5), y queues there (0.5..1.0); z finds both front threads busy.
    assert ("back completed", "x", 0.5) in log and ("back completed", "y", 1.0) in log
    assert front.counts[REJECTED] == 1 and front.counts[COMPLETED] == 2
    assert front.busy == 0 and back.busy == 0
    assert front.busy_area == pytest.approx(0.6 + 1.1)  # x held 0..0.6, y held 0..1.1

    held = ThreadPool(1, queue_limit=2)
    first = held.submit(0, None)
    second = held.submit(0.1, 1.0)
    third = held.submit(0.2, 1.0)
    assert held.cancel(second, 0.3) and not held.cancel(first, 0.3)
    held.release(first, 0.5)
    assert second.state == CANCELLED and third.start == 0.5
    with pytest.raises(ValueError):
        held.release(third, 0.6)  # has its own service time: the pool ends it


# ---- the pool against M/M/c, M/M/c/K and Erlang B -----------------------------------------------
#
# Tolerances. With c = 4 threads, lambda = 2.8/s and S = 1 s (a = 2.8, rho = 0.7), the spread of
# each estimate across 30 independent seeds, measured at 50,000 arrivals, was:
#   M/M/c   P(wait) 0.0093, Wq 0.021 s      M/M/c/K (4 waiting) P(wait) 0.0061, Wq 0.0052 s,
#   Erlang B (no queue) P(reject) 0.0017 (deterministic S), 0.0026 (lognormal S).
# Successive waits are correlated (the queue forgets its state over its relaxation time
# 1/(mu (sqrt(c) - sqrt(a))^2) ~ 9 s, ~26 arrivals), so the spread shrinks like 1/sqrt(run length),
# not faster. At the run lengths below the standard errors are these divided by sqrt(4) (200,000
# arrivals) or sqrt(2) (100,000); each tolerance is about 4 standard errors: a correct pool fails
# with probability ~1e-4 per check, while the nearest wrong answers (Erlang C of one thread more or
# less, Erlang B instead of C) sit 10+ standard errors away and are asserted to fail the check.

C, LAM, S = 4, 2.8, 1.0


def _simulate(n, queue_limit, service, seed):
    rng = random.Random(seed)
    pool = ThreadPool(C, queue_limit=queue_limit)
    t, jobs = 0.0, []
    for _ in range(n):
        t += rng.expovariate(LAM)
        jobs.append(pool.submit(t, service(rng)))
    pool.drain()
    admitted = [j for j in jobs if j.state != REJECTED]
    return {
        "p_wait": sum(1 for j in jobs if j.start is not None and j.start > j.arrival) / n,
        "p_reject": (n - len(admitted)) / n,
        "mean_wait": sum(j.wait for j in admitted) / len(admitted),
        "pool": pool, "jobs": jobs,
    }


def test_pool_is_an_mmc_queue():
    sim = _simulate(200_000, None, lambda rng: rng.expovariate(1 / S), seed=7)
    a = LAM * S
    p_wait, wq = q.erlang_c(C, a), q.mmc_mean_wait(C, LAM, S)
    assert p_wait == pytest.approx(0.42865, abs=1e-5)
    assert abs(sim["p_wait"] - p_wait) < 0.02
    assert abs(sim["mean_wait"] - wq) < 0.045
    # The check can fail: neighbouring answers are far outside the tolerance.
    for wrong in (q.erlang_c(C + 1, a), q.erlang_c(C - 1, a) if a < C - 1 else 1.0, q.erlang_b(C, a)):
        assert abs(sim["p_wait"] - wrong) > 0.06
    # Little's law on the threads: mean busy = lambda x S = a.
    stats = sim["pool"].stats()
    assert stats["mean_busy"] == pytest.approx(a, rel=0.02)


def test_pool_is_an_mmck_queue():
    sim = _simulate(100_000, 4, lambda rng: rng.expovariate(1 / S), seed=11)
    theory = q.mmck(C, 4, LAM, S)
    assert abs(sim["p_wait"] - theory["p_wait"]) < 0.018
    assert abs(sim["p_reject"] - theory["p_reject"]) < 0.0045
    assert abs(sim["mean_wait"] - theory["mean_wait"]) < 0.015
    assert abs(sim["p_reject"] - q.mmck(C, 3, LAM, S)["p_reject"]) > 0.01  # one place less is visible


@pytest.mark.parametrize("shape", ["deterministic", "lognormal"])
def test_loss_pool_follows_erlang_b_whatever_the_service_distribution(shape):
    """Erlang B is insensitive: only the mean service time matters when there is no queue."""
    sigma = 1.0
    mu = math.log(S) - sigma ** 2 / 2  # lognormal with mean S
    service = (lambda rng: S) if shape == "deterministic" else (lambda rng: rng.lognormvariate(mu, sigma))
    sim = _simulate(100_000, 0, service, seed=3)
    assert abs(sim["p_reject"] - q.erlang_b(C, LAM * S)) < 0.0075
    assert sim["p_wait"] == 0


def test_littles_law_holds_exactly_on_a_run_that_starts_and_ends_empty():
    """Over [0, T] with the pool empty at both ends, the area under the number-inside curve is the
    sum of the times spent inside: L T = sum W_i, i.e. L = lambda W with lambda = n / T."""
    sim = _simulate(20_000, 3, lambda rng: rng.expovariate(1 / S), seed=5)
    pool, jobs = sim["pool"], sim["jobs"]
    inside = math.fsum(j.end - j.arrival for j in jobs)
    assert pool.busy_area + pool.queue_area == pytest.approx(inside, rel=1e-9)
    service = math.fsum(j.end - j.start for j in jobs if j.start is not None)
    assert pool.busy_area == pytest.approx(service, rel=1e-9)
    L, T = (pool.busy_area + pool.queue_area) / pool.now, pool.now
    assert L == pytest.approx(q.littles_l(len(jobs) / T, inside / len(jobs)), rel=1e-9)


@pytest.mark.parametrize("queue_limit,timeout", [(None, None), (3, 0.05), (0, None)])
def test_submit_many_makes_exactly_the_decisions_of_submit(queue_limit, timeout):
    """The batch fast path is an optimisation only: same outcomes, same times, same integrals."""
    rng = random.Random(42)
    arrivals, t = [], 0.0
    for i in range(5_000):
        t += rng.expovariate(LAM * (1.6 if 1_000 < i < 2_000 else 1.0))  # an overload stretch
        arrivals.append((t, i % 3, rng.expovariate(1 / S)))
    one, batch = ThreadPool(C, queue_limit, timeout), ThreadPool(C, queue_limit, timeout)
    singles = [one.submit(a, s, tag) for a, tag, s in arrivals]
    batched = batch.submit_many(arrivals)
    for pool in (one, batch):
        pool.drain()
    assert [(j.tag, j.state, j.start, j.end) for j in singles] == [(j.tag, j.state, j.start, j.end) for j in batched]
    assert one.stats() == batch.stats()
    assert {j.state for j in singles} >= {COMPLETED} | ({REJECTED} if queue_limit is not None else set())


def test_resize_loses_threads_without_killing_work_and_regains_them():
    pool = ThreadPool(2, queue_limit=5)
    a, b = pool.submit(0, 10), pool.submit(0, 10)
    pool.resize(1, 1)  # a capacity drop: both running jobs still finish
    c = pool.submit(2, 10)
    assert (a.state, b.state, c.state) == (RUNNING, RUNNING, QUEUED)
    pool.advance(10)  # a and b finish; only one thread exists now, so c starts and d must wait
    d = pool.submit(11, 10)
    assert (a.state, b.state, c.state, d.state) == (COMPLETED, COMPLETED, RUNNING, QUEUED)
    assert c.start == 10
    pool.resize(12, 2)  # the thread comes back: the waiting job takes it at once
    assert d.state == RUNNING and d.start == 12
