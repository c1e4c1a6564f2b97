"""gunicorn settings for `make serve`: sized for a 2-core laptop serving a workshop room."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Simulations are CPU-bound: one process per core; threads cover the slow clients and keep-alives.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 8))
timeout = 30  # the heaviest demo answers in well under a second; a hung worker is recycled
graceful_timeout = 10  # SIGTERM: finish requests in flight, then exit
keepalive = 5
accesslog = "-"  # access log to stdout
errorlog = "-"
control_socket_disable = True  # gunicorn 27 would otherwise create a socket under $HOME
