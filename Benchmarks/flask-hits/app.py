"""The hit counter of the Redis write-up, as its seed built it: Flask behind gunicorn, redis-py.

A peer for scripts/bench.sh, not part of the service. GET /hits counts one more hit (INCR) and
answers like Petrel: `Holla! we have hit N times`, or `{"hits": N}` with `Accept: application/json`.

    REDIS_URL=redis://127.0.0.1:6379/0 gunicorn --workers 2 --bind 127.0.0.1:8000 app:app
"""

import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
# gunicorn imports this module in each worker (no --preload), so each has its own pool.
store = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


@app.get("/hits")
def hits():
    count = store.incr("hits")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(hits=count)
    return f"Holla! we have hit {count} times"


@app.get("/healthz")
def healthz():
    return jsonify(status="UP")
