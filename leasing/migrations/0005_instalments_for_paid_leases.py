"""Leases paid before release schedules existed get theirs, so nothing they hold is stranded:
a lease whose escrow still holds its whole price (paid, not yet released) gets the schedule a new
lease would get; one already released in full under the old rule gets one released instalment."""

from django.db import migrations

from leasing.schedule import periods, shares

HELD = ["funded", "checked_in", "disputed"]
RELEASED = ["active", "completed", "transferred"]


def instalments_backfill(apps, schema_editor):
    Lease = apps.get_model("leasing", "Lease")
    Instalment = apps.get_model("leasing", "Instalment")
    Payout = apps.get_model("escrow", "Payout")
    paid_out = set(Payout.objects.values_list("escrow__lease_id", flat=True))
    rows = []
    for lease in Lease.objects.filter(state__in=HELD + RELEASED, instalments__isnull=True):
        released = lease.state in RELEASED or lease.pk in paid_out  # e.g. disputed after release
        if released:
            spans = [(lease.start, lease.end)]
        else:
            spans = periods(lease.start, lease.end)
        days = [(end - start).days + 1 for start, end in spans]
        storage = shares(lease.storage_amount, days, lease.currency)
        fees = shares(lease.platform_fee, days, lease.currency)
        last = len(spans) - 1
        for index, (start, end) in enumerate(spans):
            rows.append(
                Instalment(
                    lease=lease,
                    sequence=index + 1,
                    start=start,
                    end=end,
                    unit_days=lease.quantity * days[index],
                    amount=storage[index]
                    + (lease.handling_in_amount if index == 0 else 0)
                    + (lease.handling_out_amount if index == last else 0),
                    fee=fees[index],
                    status="released" if released else "scheduled",
                )
            )
    Instalment.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("leasing", "0004_transfers_extensions_instalments"), ("escrow", "0004_payment_method")]

    operations = [migrations.RunPython(instalments_backfill, migrations.RunPython.noop)]
