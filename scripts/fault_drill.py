"""The fault drill's driver: leases over HTTP while one thing after another breaks, then the invariants.

Run by scripts/fault_drill.sh, which started a PostgreSQL and a Redis of the drill's own, gunicorn, a
Celery worker and beat with the production settings. Faults (each bounded in time, each printing what
it injected and what it checked; docs/operations.md says what each one shows):

  broker    Redis stopped while exporters confirm check-ins and owners accept
  payout    the Celery worker SIGKILLed after the processor paid, before the payout was recorded
  database  PostgreSQL restarted during a burst of lease requests and payments
  web       a gunicorn worker SIGKILLed in the middle of a lease request
  beat      a second beat started by mistake

Exits 1 if any invariant fails (scripts/drill_checks.py): money lost or paid twice, units held by no
lease, a calendar out of step with its reservations, an unbalanced ledger, escrow_reconcile unclean.
"""

import argparse
import os
import signal
import subprocess  # nosec B404
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

import drill_checks as checks  # noqa: E402
import lease_walk as walk  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from lease_walk import EXPORTER, OWNER, Browser, Reply  # noqa: E402

from escrow.models import Payment, Payout  # noqa: E402
from leasing.models import Lease  # noqa: E402
from warehouses.models import Listing, Reservation  # noqa: E402

FAULTS = ("broker", "payout", "database", "web", "beat")


class DrillFailure(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def wait_for(what: str, condition: Callable[[], object], timeout: float, every: float = 0.25) -> float:
    """Poll until ``condition()`` is true; returns the seconds it took, raises DrillFailure after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise DrillFailure(f"{what}: not after {timeout:.0f}s")
        time.sleep(every)
    return time.monotonic() - started


class Services:
    """The processes scripts/fault_drill.sh started, and the means to break and restart them."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.pauses = Path(os.environ["WARESHARE_DRILL_DIR"])

    def pid(self, kind: str) -> int:
        lines = [line.split() for line in (self.work / "pids").read_text().splitlines()]
        return int([pid for pid, name in lines if name == kind][-1])

    def start(self, kind: str, log: str, name: str = "") -> int:
        done = subprocess.run(  # nosec B603 B607
            ["bash", "scripts/prod_services.sh", "start", kind, str(self.work / log), name or kind],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(done.stdout.strip())
        with (self.work / "pids").open("a") as pids:
            pids.write(f"{pid} {name or kind}\n")
        return pid

    def ctl(self, action: str) -> None:
        subprocess.run(["bash", "scripts/fault_drill.sh", "ctl", action], check=True, timeout=60)  # nosec B603 B607

    def kill(self, pid: int, group: bool = False) -> None:
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
        wait_for(f"pid {pid} to die", lambda: not _alive(pid), 10)

    def arm(self, point: str, seconds: int) -> None:
        (self.pauses / f"pause-{point}").write_text(str(seconds))

    def paused(self, point: str, timeout: float) -> int:
        """The pid that reached ``point`` (common/drill.py), once it is sleeping there."""
        marker = self.pauses / f"paused-{point}"
        wait_for(f"a process to reach the pause {point}", marker.exists, timeout, every=0.1)
        pid = int(marker.read_text() or 0)
        marker.unlink()
        return pid

    def log(self, name: str) -> str:
        path = self.work / name
        return path.read_text(errors="replace") if path.exists() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


class Drill:
    def __init__(self, base: str, work: Path) -> None:
        self.base = base
        self.services = Services(work)
        self.exporter, self.owner = Browser(base), Browser(base)
        self.exporter.sign_in(EXPORTER)
        self.owner.sign_in(OWNER)
        listing = (
            Listing.objects.filter(
                warehouse__organisation__memberships__user__email=OWNER, instant_book=False, status="active"
            )
            .order_by("pk")
            .first()
        )
        if listing is None:
            raise DrillFailure(f"the seed has no request-to-book listing owned by {OWNER}")
        self.listing = listing
        self.start = max(timezone.localdate() + timedelta(days=30), listing.available_from)
        self.end: date = self.start + timedelta(days=max(listing.min_days, 10) - 1)
        self.since_lease = Lease.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.since_reservation = Reservation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.count = 0
        self.failures: list[str] = []

    # --- helpers ---------------------------------------------------------------------------

    def text(self, fault: str) -> str:
        self.count += 1
        return f"Drill {fault} #{self.count}"

    def checked_in(self, fault: str, n: int) -> list[int]:
        return [
            walk.lease_to_checked_in(self.exporter, self.owner, self.listing.pk, self.start, self.end, self.text(fault))
            for _ in range(n)
        ]

    def requested(self, fault: str, n: int) -> list[int]:
        return [
            walk.lease_request(self.exporter, self.listing.pk, self.start, self.end, self.text(fault)) for _ in range(n)
        ]

    def expect(self, ok: bool, checked: str, problem: str = "") -> None:
        say(f"    {'ok ' if ok else 'FAIL'} {checked}{'' if ok else ': ' + problem}")
        if not ok:
            self.failures.append(f"{checked}: {problem}")

    def step_succeeds(self, browser: Browser, path: str, lease_pk: int, state: str) -> None:
        """POST a lease step; the person must land on the lease page (302, then 200) with the lease in ``state``."""
        reply = browser.send(path, {})
        page = browser.send(reply.location) if reply.location else Reply(0, "", "")
        actual = Lease.objects.get(pk=lease_pk).state
        self.expect(
            reply.status == 302 and reply.location == f"/leases/{lease_pk}/" and page.status == 200 and actual == state,
            f"POST {path} answered {reply.status} → {reply.location or '-'} ({page.status}), lease {actual}",
            f"expected a success page and {state}",
        )

    def payouts(self, lease_pks: list[int]) -> list[Payout]:
        return list(Payout.objects.filter(escrow__lease_id__in=lease_pks).order_by("pk"))

    def all_paid(self, lease_pks: list[int]) -> bool:
        payouts = self.payouts(lease_pks)
        return bool(payouts) and all(p.status == "paid" for p in payouts)

    def money_checks(self, lease_pks: list[int]) -> None:
        problems = checks.payouts_paid_once(lease_pks) + checks.charges_once(lease_pks)
        self.expect(
            not problems, f"every payout of leases {lease_pks} paid once, each lease charged once", "; ".join(problems)
        )

    def drill_leases(self) -> list[int]:
        return list(Lease.objects.filter(pk__gt=self.since_lease).order_by("pk").values_list("pk", flat=True))

    # --- the faults ----------------------------------------------------------------------------

    def fault_broker(self) -> None:
        say("fault broker: Redis (the Celery broker) stopped while exporters confirm check-ins and owners accept")
        ready, requested = self.checked_in("broker", 3), self.requested("broker", 2)
        self.services.ctl("redis-stop")
        say(f"  injected: redis-server on port {os.environ['DRILL_REDIS_PORT']} stopped")
        for pk in ready:
            self.step_succeeds(self.exporter, f"/leases/{pk}/confirm/", pk, "active")
        for pk in requested:
            self.step_succeeds(self.owner, f"/leases/{pk}/accept/", pk, "accepted")
        pending = [p.pk for p in self.payouts(ready) if p.status != "paid"]
        self.expect(len(pending) == len(ready), f"{len(pending)} payout(s) waiting while the broker is down")
        time.sleep(2)
        self.services.ctl("redis-start")
        say("  restored: redis-server started again (empty: whatever was queued is gone)")
        took = wait_for("the sweep to pay the payouts queued while Redis was down", lambda: self.all_paid(ready), 60)
        self.expect(True, f"payouts {pending} paid {took:.1f}s after Redis came back (escrow.processor.payouts_retry)")
        self.money_checks(ready)

    def fault_payout(self) -> None:
        say("fault payout: the Celery worker SIGKILLed after the processor paid, before the payout was recorded")
        self.payout_killed("pool process")  # the worker lives on: Celery re-queues the task (reject_on_worker_lost)
        self.payout_killed("whole worker")  # the message waits for its visibility timeout: the retry sweep pays

    def payout_killed(self, how: str) -> None:
        [pk] = self.checked_in("payout", 1)
        self.services.arm("payout_transferred", 60)
        walk.lease_confirm(self.exporter, pk)
        pid = self.services.paused("payout_transferred", 30)
        [payout] = self.payouts([pk])
        rows, calls = checks.movement_calls(payout.idempotency_key)
        self.expect(  # usually still pending; the retry sweep may be paying it meanwhile, which is as safe
            rows == 1,
            f"payout {payout.pk}: transferred at the processor ({rows} movement), recorded as {payout.status}",
        )
        killed = time.monotonic()
        if how == "pool process":
            self.services.kill(pid)
            say(f"  injected: SIGKILL to the worker's pool process {pid} (the worker itself lives on)")
        else:
            worker = self.services.pid("drill")
            self.services.kill(worker, group=True)
            say(f"  injected: SIGKILL to the whole worker (process group {worker}); restarting it")
            log = f"worker-{pk}.log"
            self.services.start("worker", log, "drill")
            wait_for("the restarted worker", lambda: "ready" in self.services.log(log), 30)
        wait_for(f"payout {payout.pk} to be paid", lambda: self.all_paid([pk]), 60)
        took = time.monotonic() - killed
        rows, calls = checks.movement_calls(payout.idempotency_key)
        self.expect(
            rows == 1 and calls >= 2,
            f"after the {how} died: paid {took:.1f}s later; the processor saw the key {calls} times and "
            f"moved the money {rows} time(s)",
            "expected one movement and a retried call",
        )
        self.money_checks([pk])

    def fault_database(self) -> None:
        say("fault database: PostgreSQL restarted during a burst of lease requests and payments")
        to_pay = self.requested("database", 6)
        for pk in to_pay:
            walk.lease_accept(self.owner, pk)
        texts = [self.text("database") for _ in range(4)]
        first_done = threading.Event()  # the fault comes once the burst is under way
        statuses: Counter[int] = Counter()
        bad: list[str] = []
        notes: list[str] = []
        lock = threading.Lock()

        def attempt(browser: Browser, send: Callable[[], Reply], done: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                reply = send()
                with lock:
                    statuses[reply.status] += 1
                    if reply.status >= 500 and reply.status != 503:
                        bad.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
                    if reply.status == 503 and "unavailable" not in reply.body.lower():
                        bad.append(f"a 503 without the 'briefly unavailable' page: {reply.body[:200]!r}")
                if reply.status == 302:
                    first_done.set()
                    return
                if reply.status not in (0, 503):  # the page answered with an error: note it, try again
                    with lock:
                        notes.append(f"HTTP {reply.status}: {walk.page_errors(reply.body)}")
                time.sleep(0.3)
                if _database_up() and done():  # the step committed but its answer was lost
                    return
            bad.append("a step never succeeded after the restart")

        def pay(browser: Browser, pk: int) -> None:
            attempt(
                browser,
                lambda: browser.send(f"/leases/{pk}/pay/", {"payment_method": "pm_card_visa"}),
                lambda: Lease.objects.filter(pk=pk, state="funded").exists(),
            )

        def request(browser: Browser, text: str) -> None:
            form = walk.request_form(self.start, self.end, text)
            attempt(
                browser,
                lambda: browser.send(f"/listings/{self.listing.pk}/request/", form),
                lambda: Lease.objects.filter(goods_description=text).exists(),
            )

        def burst(browser: Browser, items: list[tuple[str, int | str]]) -> None:
            for kind, item in items:
                pay(browser, int(item)) if kind == "pay" else request(browser, str(item))
                connection.close()

        browsers = [Browser(self.base), Browser(self.base)]
        for browser in browsers:
            browser.sign_in(EXPORTER)
        work: list[list[tuple[str, int | str]]] = [
            [("pay", to_pay[0]), ("request", texts[0]), ("pay", to_pay[1]), ("request", texts[1]), ("pay", to_pay[4])],
            [("request", texts[2]), ("pay", to_pay[2]), ("request", texts[3]), ("pay", to_pay[3]), ("pay", to_pay[5])],
        ]
        threads = [threading.Thread(target=burst, args=(b, w)) for b, w in zip(browsers, work, strict=True)]
        for thread in threads:
            thread.start()
        first_done.wait(20)
        self.services.ctl("pg-stop")
        say(f"  injected: PostgreSQL (port {os.environ['DRILL_PG_PORT']}) stopped (fast: open transactions aborted)")
        time.sleep(3)
        self.services.ctl("pg-start")
        say("  restored: PostgreSQL started again")
        for thread in threads:
            thread.join(90)
        connection.close()
        for note in sorted(set(notes)):
            say(f"    note: a retried step was answered {note}")
        seen = ", ".join(f"{status or 'no response'}×{n}" for status, n in sorted(statuses.items()))
        self.expect(statuses[503] > 0 and not bad, f"answers during the burst: {seen}", "; ".join(bad) or "no 503 seen")
        made = list(Lease.objects.filter(goods_description__in=texts).values_list("goods_description", flat=True))
        self.expect(
            sorted(made) == sorted(texts), f"each of the {len(texts)} requests made exactly one lease", f"{made}"
        )
        funded = Lease.objects.filter(pk__in=to_pay, state="funded").count()
        self.expect(funded == len(to_pay), f"{funded} of the {len(to_pay)} paid leases funded")
        self.money_checks(to_pay)

    def fault_web(self) -> None:
        say("fault web: a gunicorn worker SIGKILLed in the middle of a lease request")
        text = self.text("web")
        self.services.arm("lease_reserved", 60)
        replies: list[Reply] = []
        form = walk.request_form(self.start, self.end, text)
        sender = threading.Thread(
            target=lambda: replies.append(self.exporter.send(f"/listings/{self.listing.pk}/request/", form))
        )
        sender.start()
        pid = self.services.paused("lease_reserved", 30)
        self.expect(pid != self.services.pid("web"), f"lease request paused in gunicorn worker {pid}, after reserving")
        self.services.kill(pid)
        say(f"  injected: SIGKILL to gunicorn worker {pid} (its transaction never commits)")
        sender.join(30)
        self.expect(replies[0].status in (0, 502), f"the person got {replies[0].status or 'no response'}")
        wait_for("PostgreSQL to roll back the killed worker's transaction", _no_open_transaction, 20)
        self.expect(not Lease.objects.filter(goods_description=text).exists(), "no lease was left from that request")
        problems = checks.calendar_matches_reservations() + checks.reservations_owned(self.since_reservation, [])
        self.expect(not problems, "no orphan reservation; the calendar equals its reservations", "; ".join(problems))
        pk = walk.lease_request(self.exporter, self.listing.pk, self.start, self.end, text)
        self.expect(True, f"the person tried again: lease {pk} (gunicorn had replaced the worker)")
        self.web_killed_paying()

    def web_killed_paying(self) -> None:
        """The worker dies after the charge was recorded, before the lease was funded."""
        [pk] = self.requested("web", 1)
        walk.lease_accept(self.owner, pk)
        self.services.arm("payment_recorded", 60)
        sender = threading.Thread(
            target=lambda: self.exporter.send(f"/leases/{pk}/pay/", {"payment_method": "pm_card_visa"})
        )
        sender.start()
        pid = self.services.paused("payment_recorded", 30)
        paid = Payment.objects.filter(escrow__lease_id=pk, status="succeeded").exists()
        state = Lease.objects.get(pk=pk).state  # the sweep may already be funding it: both are safe
        self.expect(paid, f"lease {pk}: the payment is recorded as succeeded, the lease is {state}")
        self.services.kill(pid)
        killed = time.monotonic()
        say(f"  injected: SIGKILL to gunicorn worker {pid} paying lease {pk}, between recording and funding")
        sender.join(30)
        wait_for(f"lease {pk} to be funded", lambda: Lease.objects.filter(pk=pk, state="funded").exists(), 30)
        took = time.monotonic() - killed
        self.expect(True, f"lease {pk} funded {took:.1f}s after the kill (leasing.services.leases_fund_paid)")
        self.money_checks([pk])

    def fault_beat(self) -> None:
        say("fault beat: a second beat started by mistake")
        self.services.start("beat", "beat2.log", "beat2")
        say("  injected: celery beat started a second time (beat2)")
        wait_for("the second beat to report the first", lambda: "another beat" in self.services.log("beat2.log"), 20)
        line = next(line for line in self.services.log("beat2.log").splitlines() if "another beat" in line)
        self.expect(True, f"beat2 logged: {line[:220]}")
        sent_before = self.services.log("beat.log").count("Sending due task")
        [pk] = self.checked_in("beat", 1)
        walk.lease_confirm(self.exporter, pk)
        wait_for("the payout", lambda: self.all_paid([pk]), 60)
        time.sleep(5)  # a few more ticks of both beats
        sent = self.services.log("beat.log").count("Sending due task") - sent_before
        doubled = self.services.log("beat2.log").count("Sending due task")
        self.expect(
            doubled == 0 and sent > 0, f"while both ran: the first beat sent {sent} sweep(s), beat2 sent {doubled}"
        )
        self.money_checks([pk])
        self.services.kill(self.services.pid("beat2"), group=True)

    # --- the end ---------------------------------------------------------------------------------

    def invariants(self) -> None:
        leases = self.drill_leases()
        say(f"invariants over the {len(leases)} leases the drill made (and every calendar day)")
        wait_for(
            "every payout of the drill's leases to be paid",
            lambda: (
                self.all_paid([pk for pk in leases if Payout.objects.filter(escrow__lease_id=pk).exists()])
                or not Payout.objects.filter(escrow__lease_id__in=leases).exists()
            ),
            60,
        )
        for name, problems in checks.everything(self.since_reservation, leases).items():
            self.expect(not problems, name, "; ".join(problems))


def _database_up() -> bool:
    try:
        connection.close()
        connection.ensure_connection()
    except django.db.Error:
        return False
    return True


def _no_open_transaction() -> bool:
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        )
        return cursor.fetchone()[0] == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, from {', '.join(FAULTS)}")
    args = parser.parse_args()
    started = time.monotonic()
    drill = Drill(args.base, args.work)
    for fault in args.faults.split(","):
        begun = time.monotonic()
        try:
            getattr(drill, f"fault_{fault}")()
        except (DrillFailure, walk.WalkFailure) as failure:
            drill.expect(False, f"fault {fault}", str(failure))
        connection.close()
        say(f"  ({time.monotonic() - begun:.1f}s)")
    try:
        drill.invariants()
    except DrillFailure as failure:
        drill.expect(False, "invariants", str(failure))
    say(f"drill took {time.monotonic() - started:.1f}s")
    if drill.failures:
        say(f"FAULT DRILL FAILED: {len(drill.failures)} check(s)")
        for problem in drill.failures:
            say(f"  - {problem}")
        return 1
    say("every fault survived: no money lost or paid twice, no unit lost or held twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
