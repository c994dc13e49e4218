"""The read replica: which reads may go there, and falling back to the primary when it cannot answer.

With ``DATABASE_REPLICA_URL`` set, ``settings.DATABASES`` has a ``"replica"`` alias (a streaming
replica of ``"default"``) and ``ReplicaRouter`` is installed. A read goes to the replica only when
all of these hold; everything else (every write, every locking read) goes to the primary:

- the code opted in: it runs inside ``replica_reads()`` — only the public search (page and API,
  ``warehouses.views`` and ``api.views.warehouses.SearchView``) and the listing page do, through
  ``read_from_replica``, because they tolerate seconds of lag;
- no transaction is open on the primary (``transaction.get_connection().in_atomic_block``): what a
  service reads inside its transaction, it reads where it writes;
- the current request has not written and is not an unsafe method (``PrimaryPinMiddleware``, and
  ``db_for_write`` pins the rest of the request): a request reads its own writes;
- the replica is up and no more than ``DATABASE_REPLICA_MAX_LAG`` seconds behind (checked at most
  every ``REPLICA_CHECK_SECONDS`` per process).

``read_from_replica(fn)`` runs ``fn`` that way and, if the replica fails mid-way
(``OperationalError``: down, restarting, a query cancelled by recovery), marks it down and runs
``fn`` again on the primary, so search answers from the primary instead of failing.
Without a ``"replica"`` alias none of this changes anything: every read goes to ``"default"``.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

REPLICA = "replica"
REPLICA_CHECK_SECONDS = 5.0  # how long one health/lag check is trusted (per process)
T = TypeVar("T")

_replica_wanted: ContextVar[bool] = ContextVar("replica_wanted", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)
_replica_used: ContextVar[list[bool] | None] = ContextVar("replica_used", default=None)

# (monotonic time of the check, usable?) of this process's last look at the replica.
_health: tuple[float, bool] = (-float("inf"), False)
_health_lock = threading.Lock()

# Seconds the replica is behind: 0 when it has replayed all it received (an idle primary sends
# nothing, so the last replayed commit's age alone would look like lag); NULL on a non-standby.
_LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """ORM reads inside may go to the replica (see the module docstring for when they do)."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def pin_to_primary(pinned: bool = True) -> None:
    """From now on in this request (context), every read goes to the primary."""
    _pinned.set(pinned)


def pinned_to_primary() -> bool:
    return _pinned.get()


@contextmanager
def request_scope(*, pinned: bool) -> Iterator[None]:
    """One request's pin, forgotten afterwards (worker threads serve many requests)."""
    token = _pinned.set(pinned)
    try:
        yield
    finally:
        _pinned.reset(token)


def replica_health_reset() -> None:
    """Forget the last health check: the next replica read checks again."""
    global _health
    with _health_lock:
        _health = (-float("inf"), False)


def _mark_down() -> None:
    global _health
    with _health_lock:
        _health = (time.monotonic(), False)


def replica_usable() -> bool:
    """The replica answers and is at most DATABASE_REPLICA_MAX_LAG seconds behind (0: no lag limit).
    Cached for REPLICA_CHECK_SECONDS, so a replica that is down costs one failed connect per period."""
    global _health
    checked_at, usable = _health
    now = time.monotonic()
    if now - checked_at < REPLICA_CHECK_SECONDS:
        return usable
    with _health_lock:
        checked_at, usable = _health
        if now - checked_at < REPLICA_CHECK_SECONDS:
            return usable
        max_lag = float(getattr(settings, "DATABASE_REPLICA_MAX_LAG", 0))
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(_LAG_SQL)
                row = cursor.fetchone()
            lag = float(row[0]) if row and row[0] is not None else 0.0
            usable = not max_lag or lag <= max_lag
            if not usable:
                logger.warning("Replica %.1f s behind (limit %s s): search reads go to the primary", lag, max_lag)
        except OperationalError as error:
            usable = False
            logger.warning("Replica unavailable, search reads go to the primary: %s", error)
            _close_quietly()
        _health = (now, usable)
        return usable


def _close_quietly() -> None:
    with suppress(OperationalError):
        connections[REPLICA].close()


def read_from_replica(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` with its reads on the replica when allowed; if the replica fails
    while answering, ``fn`` runs again with every read on the primary. ``fn`` must not write."""
    if not replica_configured():
        return fn(*args, **kwargs)
    used: list[bool] = []
    token = _replica_used.set(used)
    try:
        with replica_reads():
            return fn(*args, **kwargs)
    except OperationalError as error:
        if not used:
            raise
        logger.warning("Replica failed mid-request, answering from the primary: %s", error)
        _mark_down()
        _close_quietly()
    finally:
        _replica_used.reset(token)
    return fn(*args, **kwargs)


class ReplicaRouter:
    """Primary for everything, replica for opted-in reads (module docstring). Always names an
    alias, never None: Django would otherwise send a write of an object read from the replica
    back to the replica (``instance._state.db``)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        if (
            _replica_wanted.get()
            and not _pinned.get()
            and replica_configured()
            and not transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block
            and replica_usable()
        ):
            used = _replica_used.get()
            if used is not None:
                used.append(True)
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        _pinned.set(True)  # read your own writes for the rest of this request
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
