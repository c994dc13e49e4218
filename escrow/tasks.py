"""Celery tasks over ``escrow.processor``: transfers and refunds at the processor, after commit.

Both services are idempotent (the processor call carries the row's idempotency key; the result
is recorded under a row lock and re-checked), so a task that runs twice, or on two workers, pays once.

No result is stored (``ignore_result``): nobody waits for one, and a sender that expects a result
subscribes to the result store first, so a Redis outage would fail (after 20 s of retries) the very
request that queued the task, after its step had committed (the fault drill's broker fault).
"""

from celery import shared_task

from . import processor
from .models import Payout, Refund


@shared_task(ignore_result=True)
def payout_execute(payout_id: int) -> dict[str, object]:
    payout = processor.payout_execute(payout=Payout(pk=payout_id))
    return {"payout": payout.pk, "status": payout.status}


@shared_task(ignore_result=True)
def refund_execute(refund_id: int) -> dict[str, object]:
    refund = processor.refund_execute(refund=Refund(pk=refund_id))
    return {"refund": refund.pk, "status": refund.status}
