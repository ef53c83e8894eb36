"""gunicorn's settings, read by gunicorn from the directory it starts in: ``bin/run``,
``bench/load.py`` (the app and its bare reference alike) and a production
``gunicorn 'app:create_app()'`` started from the checkout. The worker count and the bind address
stay on the command line.

Threaded workers keep connections alive: a district system calling the check API, or nginx with
``keepalive`` upstream, reuses its connection instead of paying a TCP set-up and teardown per
request, which a sync worker cannot do (it closes every connection). Threads also let a worker
answer the next request while one waits for the database or a slow client.
"""
import gc
import os

worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
keepalive = int(os.environ.get("WEB_KEEPALIVE_SECONDS") or 5)


def post_worker_init(worker):
    """Once the worker has loaded the app, move its ~200,000 start-up objects (modules, the ORM's
    mappers, compiled statements) out of the garbage collector's reach: they live as long as
    the worker. Otherwise every full collection walks them all and stalls the worker's threads
    for 100 ms or more (the p99 spikes of the plate check under load, gone with this)."""
    gc.freeze()
