"""One beat at a time: a Celery beat scheduler that sends tasks only while it holds a Redis lock.

Beat must run exactly once (marketplace/celery.py). If a second one is started by mistake, it finds
the lock held, logs an error naming the holder, and stands by without sending anything; it takes over
only if the holder stops renewing the lock (it died), ``LOCK_SECONDS`` later at most. The sweeps are
idempotent anyway (each object is locked and re-checked), so a duplicate beat would waste work, not
money; the lock keeps it from doing even that, and makes the mistake visible in the logs.
"""

import logging
import os
import socket
import uuid
from typing import Any

import redis
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = "wareshare:beat:leader"
LOCK_SECONDS = 30  # the holder renews it on every tick (at least every STANDBY_SECONDS)
STANDBY_SECONDS = 5

# Renew only a lock that is still ours: compare and extend in one step.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLock:
    """The leader lock in Redis: ``hold()`` takes or renews it (True while this holder has it) and
    logs, once per other holder, that another beat is running; ``release()`` hands it back."""

    def __init__(self, client: redis.Redis, token: str) -> None:
        self.client = client
        self.token = token
        self.leader = False
        self.reported = ""  # the other holder last reported, so the log says it once per holder

    def hold(self) -> bool:
        try:
            if self.leader and self.client.eval(_RENEW, 1, LOCK_KEY, self.token, LOCK_SECONDS):
                return True
            if self.client.set(LOCK_KEY, self.token, nx=True, ex=LOCK_SECONDS):
                logger.info("beat %s holds the beat lock: it sends the sweeps", self.token)
                self.leader, self.reported = True, ""
                return True
            held = self.client.get(LOCK_KEY)
        except redis.RedisError as error:
            logger.warning("beat %s cannot reach Redis for the beat lock: %s", self.token, error)
            return False
        holder = held.decode() if isinstance(held, bytes) else str(held)
        if self.leader:
            logger.error("beat %s lost the beat lock to %s: it stops sending", self.token, holder)
        elif holder != self.reported:
            logger.error(
                "beat %s: another beat (%s) is already running; run exactly one. This one stands by and "
                "sends nothing unless that one stops.",
                self.token,
                holder,
            )
        self.leader, self.reported = False, holder
        return False

    def release(self) -> None:
        try:
            if self.leader:
                self.client.eval(_RELEASE, 1, LOCK_KEY, self.token)
        except redis.RedisError as error:
            logger.warning("beat %s could not hand back the beat lock: %s", self.token, error)
        self.leader = False


class SingleBeatScheduler(PersistentScheduler):
    """``PersistentScheduler`` that ticks only while it holds the ``BeatLock`` in the broker's Redis."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_interval: float = min(float(self.max_interval), STANDBY_SECONDS)
        client = redis.Redis.from_url(self.app.conf.broker_url, socket_connect_timeout=2, socket_timeout=2)
        self.lock = BeatLock(client, f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.lock.hold():
            return STANDBY_SECONDS
        return float(min(super().tick(*args, **kwargs), STANDBY_SECONDS))

    def close(self) -> None:
        """Hand the lock back at a clean stop, so a standby beat can take over at once."""
        self.lock.release()
        super().close()
