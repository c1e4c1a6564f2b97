"""gunicorn settings for `make serve`: sized for a 2-core laptop serving a workshop room."""

import gc
import multiprocessing
import os
import sys
import threading

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Simulations are CPU-bound: one process per core; threads cover the slow clients and keep-alives.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# gthread, but a request reaches a thread only once it has fully arrived: slow and half-open clients
# wait in the event loop, not in a thread (webapp/gunicorn_worker.py). WORKER_CLASS=gthread for stock.
worker_class = os.environ.get("WORKER_CLASS", "webapp.gunicorn_worker.BufferingThreadWorker")
threads = int(os.environ.get("THREADS", 8))
timeout = 30  # the heaviest demo answers in well under a second; a hung worker is recycled
graceful_timeout = 10  # SIGTERM: finish requests in flight, then exit
keepalive = 5
accesslog = "-"  # access log to stdout
errorlog = "-"
control_socket_disable = True  # gunicorn 27 would otherwise create a socket under $HOME


def post_worker_init(worker):
    # The app's own objects (modules, templates, the registry) live as long as the worker: keep the
    # garbage collector from walking them again and again, and let it run less often. The models
    # allocate many short-lived tuples and lists, and collecting every 700 of them costs ~8% of a
    # simulation.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # While a simulation runs, a thread answering from the caches needs the GIL for each of its few
    # steps and waits up to one switch interval for it every time: 1 ms instead of Python's 5 ms
    # halved the p95 of a cached preset with 50 heavy states in flight (bench/starvation.py). A lone
    # thread is never interrupted, so the models run as fast as before when nobody else is waiting.
    sys.setswitchinterval(float(os.environ.get("SWITCH_INTERVAL_MS", 1)) / 1000)
    # Simulate every demo's defaults and presets now, so the room's first clicks on a preset are
    # answered from the result cache instead of all waiting for the same simulation.
    from webapp.demo_state import warm

    threading.Thread(target=warm, name="warm-presets", daemon=True).start()
