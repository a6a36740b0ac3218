"""The per-process source cache on the public edge."""

import time

from sqlalchemy import event

from app.extensions import db
from app.ingest.sources_cache import MAX_ENTRIES, SourceCache


def test_a_cached_source_is_served_without_the_database_until_it_expires(app, source):
    cache = SourceCache(ttl=60)
    first = cache.by_public_id(source["public_id"])
    statements = []

    def seen(*args):
        statements.append(args)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert cache.by_public_id(source["public_id"]) is first
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []


def test_with_the_database_down_an_expired_source_is_still_served(app, source, database_fails):
    cache = SourceCache(ttl=0.001)
    snapshot = cache.by_public_id(source["public_id"])
    time.sleep(0.01)
    with database_fails("SELECT") as failed:
        assert cache.by_public_id(source["public_id"]) == snapshot
    assert failed


def test_made_up_tokens_never_evict_real_sources(app, source):
    cache = SourceCache(ttl=60)
    real = cache.by_public_id(source["public_id"])
    for i in range(MAX_ENTRIES + 5):
        cache._misses[("public_id", f"fake{i}")] = (time.monotonic() + 60, None)
    assert cache.by_public_id("yet-another-fake") is None
    assert cache._entries[("public_id", source["public_id"])][1] is real
