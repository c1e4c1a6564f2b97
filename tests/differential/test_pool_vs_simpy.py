"""The thread pool (webapp/sims/pool.py) against a SimPy model of the same pool, job by job.

SimPy's `Resource` is the threads: a request that finds one free starts at once, otherwise it waits
in SimPy's FIFO queue, and it gives up (its request cancelled) when its queue timeout fires first. A
request that finds the threads busy and `queue_limit` requests already waiting is rejected. For every
job both must agree on its fate (completed, rejected, timed out), its start and its end.

Arrival and service times are continuous random draws, so two events never fall on the same instant.
At an exact tie the two differ by design: the app gives a freed thread to a job whose queue deadline
is that very moment (documented in pool.py), while SimPy fires the earlier-scheduled timeout first.
"""

import random

import pytest
import simpy

from webapp.sims.pool import COMPLETED, REJECTED, TIMED_OUT, ThreadPool


def simpy_pool(arrivals, size, queue_limit, queue_timeout):
    """[(state, start, end)] for each (arrival time, service time), from SimPy."""
    env = simpy.Environment()
    threads = simpy.Resource(env, capacity=size)
    limit = float("inf") if queue_limit is None else queue_limit
    fates = [None] * len(arrivals)

    def job(i, service):
        arrived = env.now
        if threads.count >= size and len(threads.queue) >= limit:
            fates[i] = (REJECTED, None, arrived)
            return
        request = threads.request()
        if queue_timeout is None:
            yield request
        else:
            patience = env.timeout(queue_timeout)
            done = yield request | patience
            if request not in done:
                request.cancel()
                fates[i] = (TIMED_OUT, None, env.now)
                return
        start = env.now
        yield env.timeout(service)
        threads.release(request)
        fates[i] = (COMPLETED, start, env.now)

    def source():
        for i, (t, service) in enumerate(arrivals):
            yield env.timeout(t - env.now)
            env.process(job(i, service))

    env.process(source())
    env.run()
    return fates


def app_pool(arrivals, size, queue_limit, queue_timeout, batch):
    pool = ThreadPool(size, queue_limit=queue_limit, queue_timeout=queue_timeout)
    if batch:
        jobs = pool.submit_many([(t, None, service) for t, service in arrivals])
    else:
        jobs = [pool.submit(t, service) for t, service in arrivals]
    pool.drain()
    return [(j.state, j.start, j.end) for j in jobs]


def workload(rng, n):
    size = rng.randint(1, 8)
    mean_service = rng.choice([0.05, 0.2, 1.0])
    load = rng.uniform(0.5, 1.6)  # offered load per thread: under, near and over capacity
    t, arrivals = 0.0, []
    for _ in range(n):
        t += rng.expovariate(size * load / mean_service)
        service = rng.expovariate(1 / mean_service) if rng.random() < 0.7 else rng.lognormvariate(-2, 1)
        arrivals.append((t, service))
    queue_limit = rng.choice([0, 1, 3, 10, None])
    queue_timeout = rng.choice([None, mean_service / 2, mean_service * 3])
    return arrivals, size, queue_limit, queue_timeout


def assert_same(mine, theirs):
    assert len(mine) == len(theirs)
    for i, ((state, start, end), (s_state, s_start, s_end)) in enumerate(zip(mine, theirs)):
        assert state == s_state, (i, mine[i], theirs[i])
        assert (start is None) == (s_start is None) and (start is None or start == pytest.approx(s_start, abs=1e-9)), i
        assert end == pytest.approx(s_end, abs=1e-9), i


@pytest.mark.parametrize("batch", [False, True], ids=["submit", "submit_many"])
def test_every_job_meets_the_same_fate_as_in_simpy(batch):
    rng = random.Random(14)
    fates = {COMPLETED: 0, REJECTED: 0, TIMED_OUT: 0}
    for _ in range(60):
        arrivals, size, queue_limit, queue_timeout = workload(rng, 400)
        mine = app_pool(arrivals, size, queue_limit, queue_timeout, batch)
        assert_same(mine, simpy_pool(arrivals, size, queue_limit, queue_timeout))
        for state, _, _ in mine:
            fates[state] += 1
    assert min(fates.values()) > 500  # every fate is exercised, many times


def test_a_tie_between_a_freed_thread_and_a_deadline_is_the_one_named_difference():
    arrivals = [(0.0, 1.0), (0.5, 1.0)]  # the second waits; its deadline (0.5 + 0.5) is when the thread frees
    mine = app_pool(arrivals, 1, 1, 0.5, batch=False)
    theirs = simpy_pool(arrivals, 1, 1, 0.5)
    assert mine[1] == (COMPLETED, 1.0, 2.0)  # the app: a deadline equal to the free moment still gets the thread
    assert theirs[1] == (TIMED_OUT, None, 1.0)  # SimPy: the earlier-scheduled timeout fires first
