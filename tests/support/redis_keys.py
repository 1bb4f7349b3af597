"""Celery's Redis keys of this test session (queues, unacked messages, scheduled retries)."""

from __future__ import annotations

import redis

from app.config import get_settings


def purge_session_keys() -> None:
    """Delete every key under this session's ``REDIS_KEY_PREFIX``.

    Called when a stack of workers stops, so messages it left behind (a scheduled retry, a
    dispatch nobody consumed) are never taken by the next stack's workers.
    """
    settings = get_settings()
    if not settings.redis_key_prefix:
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{settings.redis_key_prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    except redis.RedisError:
        pass
    finally:
        client.close()
