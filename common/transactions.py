"""Transactions on the hot path without savepoints.

``transaction.atomic`` nested in another atomic block opens a SAVEPOINT and RELEASEs it: two
statements per service call, for a rollback the service may not need. A service whose only way
to fail leaves the database untouched (it raises before it writes, or its one write is a
conditional UPDATE that changed nothing) joins its caller's transaction instead.
"""

from contextlib import AbstractContextManager, nullcontext

from django.db import DEFAULT_DB_ALIAS, transaction


def atomic_join(using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager[object]:
    """The caller's transaction when one is open (no savepoint), else a new one.

    Only for code that writes nothing before the last point where it may raise: an error
    escaping it inside the caller's transaction leaves that transaction usable and unchanged.
    """
    if transaction.get_connection(using).in_atomic_block:
        return nullcontext()
    return transaction.atomic(using=using)
