"""The cache as an optimisation only: a page never fails because the cache (Redis) is down."""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")


def cached(key: str, load: Callable[[], T], *, timeout: int) -> T:
    """``load()``'s value, kept under ``key`` for ``timeout`` seconds. With the cache unreachable the
    value is loaded afresh (and a WARNING logged), so the page answers as it would without a cache."""
    try:
        value = cache.get(key)
    except RedisError as error:
        logger.warning("cache unreachable reading %s: %s", key, error)
        return load()
    if value is not None:
        return value  # type: ignore[no-any-return]
    value = load()
    try:
        cache.set(key, value, timeout)
    except RedisError as error:
        logger.warning("cache unreachable writing %s: %s", key, error)
    return value
