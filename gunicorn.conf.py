"""gunicorn's settings for serving the academy: ``gunicorn 'app:create_app()'`` from this folder reads them.

Threaded workers (gthread): a request that waits for the database's write lock (SQLite
lets one writer at a time) holds one thread, not a whole worker, so the other threads go
on serving pages. With sync workers, two saves waiting behind an outside lock left no
worker free, and a read-only page waited 7.8 s for them. Each thread has its own database
connection; SQLite's WAL lets them all read while one writes.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Processes: about one per core. Threads: requests each process serves at once.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request never legitimately runs this long (a write waits at most the 5 s busy timeout).
timeout = 60
graceful_timeout = 20
