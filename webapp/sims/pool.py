"""A thread pool with a bounded wait queue, simulated event by event.

This is the one pool of the project: the bulkhead demo runs it, and anything that composes
patterns on a service graph should reuse it rather than write another. It owns no event loop of
its own; whoever drives it only has to keep time moving forward:

    pool = ThreadPool(size=10, queue_limit=5, queue_timeout=1.0)
    job = pool.submit(t, service_time=0.2)      # runs now, waits in the queue, or is rejected
    ...                                          # more submits, at non-decreasing times
    pool.drain()                                 # let everything still inside finish

A request that finds a free thread starts at once. Otherwise it joins a FIFO queue if the queue
has room (`queue_limit` waiting jobs; 0 means "reject at once", None means unbounded), and gives up
when its wait reaches `queue_timeout` (None: waits for ever). A thread that frees up takes the
oldest job still waiting. With Poisson arrivals, exponential service times, an unbounded queue and
no timeout this is exactly the M/M/c queue of queueing theory (see `queueing.py`), and the tests
hold it to Erlang C, Erlang B, M/M/c/K and Little's law.

Composition (a service that holds its thread while it calls another pool): submit with
`service_time=None`; the job holds its thread until the caller calls `release(job, t)`. Callbacks
`on_start(job)` and `on_finish(job)` tell the caller when a queued job finally gets a thread and
when any job leaves the pool. Several pools share a clock through `next_event_time()` and
`advance(t)`: a driver always advances every pool to the earliest pending event of all of them.

Times are plain floats in whatever unit the caller chooses (the demos use seconds).
Everything is deterministic: the pool draws no random numbers.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any, Callable

INF = float("inf")

# Job states. A job is QUEUED or RUNNING while inside the pool; the others are final.
QUEUED, RUNNING = "queued", "running"
COMPLETED, REJECTED, TIMED_OUT, CANCELLED = "completed", "rejected", "timed_out", "cancelled"


class Job:
    """One request's life in a pool. All times are absolute; None until they happen."""

    __slots__ = ("id", "tag", "arrival", "service", "start", "end", "state", "deadline", "data")

    def __init__(self, id: int, tag: Any, arrival: float, service: float | None, data: Any = None):
        # One store per line: packing them into a tuple first costs ~10% of a job's creation.
        self.id = id
        self.tag = tag
        self.arrival = arrival
        self.service = service
        self.data = data
        self.start: float | None = None
        self.end: float | None = None  # completion, or the moment it was rejected / gave up
        self.state = QUEUED
        self.deadline = INF  # latest start time while queued

    @property
    def wait(self) -> float | None:
        """Time spent queued: to the start, or to the moment it gave up. None while still waiting."""
        if self.start is not None:
            return self.start - self.arrival
        return None if self.end is None else self.end - self.arrival

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.tag!r}, {self.state}, arrival={self.arrival}, start={self.start}, end={self.end})"


class ThreadPool:
    """`size` threads in front of a FIFO queue of at most `queue_limit` waiting jobs.

    Time-integrals of busy threads and of the queue length are kept as the pool runs, so the
    time-average occupancy (the L of Little's law) costs nothing extra to report.
    """

    def __init__(self, size: int, queue_limit: int | None = 0, queue_timeout: float | None = None,
                 name: str = "pool", on_start: Callable[[Job], None] | None = None,
                 on_finish: Callable[[Job], None] | None = None):
        if size < 0 or (queue_limit is not None and queue_limit < 0):
            raise ValueError("size and queue_limit must be >= 0")
        if queue_timeout is not None and queue_timeout < 0:
            raise ValueError("queue_timeout must be >= 0")
        self.size, self.name = size, name
        self.queue_limit = INF if queue_limit is None else queue_limit
        self.queue_timeout = queue_timeout
        self.on_start, self.on_finish = on_start, on_finish
        self.now = 0.0
        self.busy = 0
        self.waiting = 0  # live jobs in the queue (cancelled ones may still sit in the deque)
        self._queue: deque[Job] = deque()
        self._running: list = []  # heap of (end, seq, job) for jobs with a known service time
        self._seq = 0
        # Counters and time-integrals since time 0.
        self.counts = {COMPLETED: 0, REJECTED: 0, TIMED_OUT: 0, CANCELLED: 0}
        self.submitted = self.queued_total = 0
        self.busy_area = self.queue_area = 0.0
        self.peak_busy = self.peak_queue = 0

    # ---- the driver's interface ------------------------------------------------------------
    def submit(self, t: float, service_time: float | None, tag: Any = None, data: Any = None) -> Job:
        """A request arrives at time t. Returns its Job, already RUNNING, QUEUED or REJECTED.

        `service_time=None` holds the thread until `release(job, t)`.
        """
        running = self._running
        if self._queue or (running and running[0][0] <= t) or t < self.now:
            self.advance(t)  # something finishes or gives up first (or time went backwards: raise)
        job = Job(self.submitted, tag, t, service_time, data)
        self.submitted += 1
        if self.busy < self.size:
            if self.on_start is None and service_time is not None:
                # The common case, inlined: this runs once per request and dominates the cost.
                dt = t - self.now
                if dt > 0:
                    self.busy_area += self.busy * dt
                    self.queue_area += self.waiting * dt
                    self.now = t
                job.start = t
                job.state = RUNNING
                self.busy += 1
                if self.busy > self.peak_busy:
                    self.peak_busy = self.busy
                self._seq += 1
                heapq.heappush(running, (t + service_time, self._seq, job))
            else:
                self._start(job, t)
        elif self.waiting < self.queue_limit:
            self._integrate(t)
            if self.queue_timeout is not None:
                job.deadline = t + self.queue_timeout
            self._queue.append(job)
            self.waiting += 1
            self.queued_total += 1
            if self.waiting > self.peak_queue:
                self.peak_queue = self.waiting
        else:
            self._finish(job, t, REJECTED)
        return job

    def submit_many(self, arrivals) -> list[Job]:
        """`submit` for a whole time-ordered batch of (t, tag, service_time) arrivals, without callbacks.

        The same decisions, in the same order and with the same arithmetic, as calling `submit`
        for each: `submit`, `advance`, `_start_waiting`, `_start`, `_integrate` and `_finish` are
        inlined, with the pool's state in local variables, because the bulkhead demo submits
        thousands of requests per page and this loop is most of its cost. From an arrival `submit`
        would refuse (time going backwards) or one held until `release` on, `submit` takes over.
        """
        queue = self._queue
        if self.on_start is not None or self.on_finish is not None or any(j.state != QUEUED for j in queue):
            # (With no cancelled job left in the queue, every queued job below is live.)
            return [self.submit(t, service, tag) for t, tag, service in arrivals]
        jobs, running, size, counts = [], self._running, self.size, self.counts
        queue_limit, timeout = self.queue_limit, self.queue_timeout
        push, pop, append, take_oldest, enqueue = heapq.heappush, heapq.heappop, jobs.append, queue.popleft, queue.append
        now, busy, waiting, busy_area, queue_area = self.now, self.busy, self.waiting, self.busy_area, self.queue_area
        seq, submitted, queued_total = self._seq, self.submitted, self.queued_total
        peak_busy, peak_queue = self.peak_busy, self.peak_queue
        completed = timed_out = rejected = 0
        rest = iter(arrivals)
        odd = None  # an arrival this loop leaves to `submit`, with all those after it
        for t, tag, service in rest:
            if t < now or service is None:
                odd = t, tag, service
                break
            # advance(t), when something is due or waiting
            if not queue:
                if running and running[0][0] <= t:
                    # Nobody waits: only completions are due, and none hands its thread on. With no
                    # one waiting, waiting * dt adds nothing to queue_area.
                    while running and running[0][0] <= t:
                        t_done, _, job = pop(running)
                        dt = t_done - now
                        if dt > 0:
                            busy_area += busy * dt
                            now = t_done
                        busy -= 1
                        job.end = t_done
                        job.state = COMPLETED
                        completed += 1
                    dt = t - now
                    if dt > 0:
                        busy_area += busy * dt
                        now = t
            else:
                while True:
                    t_done = running[0][0] if running else INF
                    t_give_up = queue[0].deadline if queue else INF
                    # A job whose deadline equals the moment a thread frees up still gets the thread.
                    if t_done <= t_give_up:
                        if t_done > t:
                            break
                        job = pop(running)[2]
                        dt = t_done - now
                        if dt > 0:
                            busy_area += busy * dt
                            queue_area += waiting * dt
                            now = t_done
                        busy -= 1
                        job.end = t_done
                        job.state = COMPLETED
                        completed += 1
                        while busy < size and queue:  # the oldest waiting job takes the thread
                            job = take_oldest()
                            waiting -= 1
                            job.start = t_done
                            job.state = RUNNING
                            busy += 1
                            if busy > peak_busy:
                                peak_busy = busy
                            if job.service is not None:  # (one held until `release` has no end yet)
                                seq += 1
                                push(running, (t_done + job.service, seq, job))
                    else:
                        if t_give_up > t:
                            break
                        job = take_oldest()
                        dt = t_give_up - now
                        if dt > 0:
                            busy_area += busy * dt
                            queue_area += waiting * dt
                            now = t_give_up
                        waiting -= 1
                        job.end = t_give_up
                        job.state = TIMED_OUT
                        timed_out += 1
                dt = t - now
                if dt > 0:
                    busy_area += busy * dt
                    queue_area += waiting * dt
                    now = t
            job = Job(submitted, tag, t, service)
            submitted += 1
            if busy < size or waiting < queue_limit:  # admitted: the pool's areas run up to t
                dt = t - now
                if dt > 0:
                    busy_area += busy * dt
                    queue_area += waiting * dt
                    now = t
            if busy < size:
                job.start = t
                job.state = RUNNING
                busy += 1
                if busy > peak_busy:
                    peak_busy = busy
                seq += 1
                push(running, (t + service, seq, job))
            elif waiting < queue_limit:
                if timeout is not None:
                    job.deadline = t + timeout
                enqueue(job)
                waiting += 1
                queued_total += 1
                if waiting > peak_queue:
                    peak_queue = waiting
            else:
                job.end = t
                job.state = REJECTED
                rejected += 1
            append(job)
        self.now, self.busy, self.waiting, self.busy_area, self.queue_area = now, busy, waiting, busy_area, queue_area
        self._seq, self.submitted, self.queued_total = seq, submitted, queued_total
        self.peak_busy, self.peak_queue = peak_busy, peak_queue
        counts[COMPLETED] += completed
        counts[TIMED_OUT] += timed_out
        counts[REJECTED] += rejected
        if odd is not None:
            t, tag, service = odd
            append(self.submit(t, service, tag))
            jobs += [self.submit(t, service, tag) for t, tag, service in rest]
        return jobs

    def release(self, job: Job, t: float) -> None:
        """A job submitted with service_time=None has finished its work at time t."""
        if job.state != RUNNING or job.service is not None:
            raise ValueError(f"release() is for running jobs without a service time, not {job!r}")
        self.advance(t)
        self._integrate(t)
        self.busy -= 1
        job.service = t - job.start
        self._finish(job, t, COMPLETED)
        self._start_waiting(t)

    def cancel(self, job: Job, t: float) -> bool:
        """The caller stops waiting for a queued job (its own deadline passed). True if it was queued.

        A running job cannot be cancelled: the thread keeps working, just as a real callee does
        not notice that its caller has given up.
        """
        self.advance(t)
        if job.state != QUEUED:
            return False
        self._integrate(t)
        self.waiting -= 1  # the deque entry is skipped lazily
        self._finish(job, t, CANCELLED)
        return True

    def next_event_time(self) -> float:
        """When the pool will next change state on its own: a completion or a queue timeout."""
        t = self._running[0][0] if self._running else INF
        queue = self._queue
        while queue and queue[0].state != QUEUED:
            queue.popleft()  # drop cancelled entries
        if queue and queue[0].deadline < t:
            t = queue[0].deadline
        return t

    def resize(self, t: float, size: int) -> None:
        """Lose or regain threads at time t (a capacity-drop fault). Jobs running on a lost thread
        finish normally, as a draining node finishes its requests; waiting jobs take any thread
        that came back."""
        self.advance(t)
        self.size = size
        self._start_waiting(t)

    def advance(self, t: float) -> None:
        """Process every completion and queue timeout up to and including time t."""
        if t < self.now:
            raise ValueError(f"time went backwards in pool {self.name!r}: {t} < {self.now}")
        running, queue, counts = self._running, self._queue, self.counts
        while True:
            t_done = running[0][0] if running else INF
            while queue and queue[0].state != QUEUED:
                queue.popleft()
            t_give_up = queue[0].deadline if queue else INF
            # A job whose deadline equals the moment a thread frees up still gets the thread.
            if t_done <= t_give_up:
                if t_done > t:
                    break
                job = heapq.heappop(running)[2]
                dt = t_done - self.now  # _integrate and _finish inlined: once per request
                if dt > 0:
                    self.busy_area += self.busy * dt
                    self.queue_area += self.waiting * dt
                    self.now = t_done
                self.busy -= 1
                job.end = t_done
                job.state = COMPLETED
                counts[COMPLETED] += 1
                if self.on_finish is not None:
                    self.on_finish(job)
                if queue:
                    self._start_waiting(t_done)
            else:
                if t_give_up > t:
                    break
                job = queue.popleft()
                self._integrate(t_give_up)
                self.waiting -= 1
                self._finish(job, t_give_up, TIMED_OUT)
        self._integrate(t)

    def drain(self) -> float:
        """Run until nothing is left that finishes on its own; returns the time of the last event.

        Jobs held with service_time=None stay running: only `release` ends them.
        """
        last = self.now
        while (t := self.next_event_time()) < INF:
            self.advance(t)
            last = t
        return last

    # ---- reporting -------------------------------------------------------------------------
    def stats(self) -> dict:
        """Counters and time-averages from time 0 to `now`."""
        span = self.now or 1.0
        return {"size": self.size, "submitted": self.submitted, "queued": self.queued_total,
                "completed": self.counts[COMPLETED], "rejected": self.counts[REJECTED],
                "timed_out": self.counts[TIMED_OUT], "cancelled": self.counts[CANCELLED],
                "mean_busy": self.busy_area / span, "mean_queue": self.queue_area / span,
                "peak_busy": self.peak_busy, "peak_queue": self.peak_queue, "until": self.now}

    # ---- internals -------------------------------------------------------------------------
    def _integrate(self, t: float) -> None:
        dt = t - self.now
        if dt > 0:
            self.busy_area += self.busy * dt
            self.queue_area += self.waiting * dt
            self.now = t

    def _start(self, job: Job, t: float) -> None:
        self._integrate(t)
        job.start = t
        job.state = RUNNING
        self.busy += 1
        if self.busy > self.peak_busy:
            self.peak_busy = self.busy
        if job.service is not None:
            self._seq += 1
            heapq.heappush(self._running, (t + job.service, self._seq, job))
        if self.on_start is not None:
            self.on_start(job)

    def _start_waiting(self, t: float) -> None:
        queue = self._queue
        while self.busy < self.size and queue:
            job = queue.popleft()
            if job.state != QUEUED:
                continue
            self.waiting -= 1
            self._start(job, t)

    def _finish(self, job: Job, t: float, state: str) -> None:
        job.end = t
        job.state = state
        self.counts[state] += 1
        if self.on_finish is not None:
            self.on_finish(job)
