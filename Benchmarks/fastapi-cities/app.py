"""The city-population API of the Elasticsearch write-up, as its seed built it: FastAPI behind
uvicorn, an async search client (AsyncOpenSearch: elasticsearch-py refuses the server used here).

A peer for scripts/bench.sh, not part of the service. At start it creates its index with an
explicit mapping (Petrel's fields; an index that is already there is kept). GET /cities/{name}
reads the document whose id is the case-folded name and answers {"name", "population"}, or 404.

    ELASTICSEARCH_URL=http://127.0.0.1:9200 ELASTICSEARCH_INDEX=cities-fastapi \
        uvicorn --workers 2 --host 127.0.0.1 --port 8000 app:app
"""

import os
import unicodedata
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from opensearchpy import AsyncOpenSearch, NotFoundError, RequestError

SEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
INDEX = os.environ.get("ELASTICSEARCH_INDEX", "cities-fastapi")
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "name": {"type": "keyword"},
        "name_key": {"type": "keyword"},
        "population": {"type": "long"},
        "updated_at": {"type": "date"},
    },
}
# Connections per worker to the search server: with 2 workers, one per wrk connection.
POOL_SIZE = int(os.environ.get("SEARCH_POOL_SIZE", "32"))


@asynccontextmanager
async def lifespan(app: FastAPI):
    client = AsyncOpenSearch(hosts=[SEARCH_URL], maxsize=POOL_SIZE)
    try:
        await client.indices.create(index=INDEX, body={"mappings": MAPPING})
    except RequestError as error:  # the other worker made it first, or an earlier run did
        if error.error != "resource_already_exists_exception":
            raise
    app.state.search = client
    yield
    await client.close()


app = FastAPI(lifespan=lifespan)


def key(name: str) -> str:
    """The document id: the name trimmed, in NFC, case-folded (Petrel's matching)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).casefold())


@app.get("/cities/{name}")
async def city(name: str) -> dict:
    try:
        document = await app.state.search.get(index=INDEX, id=key(name))
    except NotFoundError:
        raise HTTPException(status_code=404, detail="no such city") from None
    source = document["_source"]
    return {"name": source["name"], "population": source["population"]}


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "UP"}
