"""The outbox at county scale on PostgreSQL, every database guard on.

Usage (the database is created and dropped by the script):

    .venv/bin/python bench/outbox.py [--villages 300] [--households 500] [--rounds 3]
                                     [--send 2000]

Builds a county in bulk SQL: villages × households, 8 villagers per 3 households (400,000 for
150,000 households), three in five of them with an account, one in three accounts with a
phone subscribed to push, and a mobile number for most; then measures

- fan-out: one notice to every villager of the county, told through the app's own service
  (`village.services.notification_send` for each village: its audience read, its inbox, push and
  SMS rows written in bulk, the audit chain), alternating rounds with a raw `COPY` of the same
  delivery rows under bare notifications;
- the worker's send rate: `village.sending.deliveries_send_due` handing `--send` push rows to a
  local Web Push service (VAPID checked, payload decrypted) and `--send` SMS rows to a local
  server speaking Aliyun's SendSms, through the real adapters.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.county import (  # noqa: E402
    county_structure,
    database_finish,
    psql,
    setup_django,
)

GOAL_FANOUT = (
    "goal: fan-out of one notice to a county (150,000 households, 400,000 villagers): delivery "
    "rows written within 3× a raw bulk insert of the same rows"
)
GOAL_SEND = "figure: the worker's send rate against the local push and SMS endpoints"


def setup(database_url: str):
    setup_django(database_url)
    from django.conf import settings

    # The sender runs when the bench says, not on commit.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def build(villages: int, households: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as c:
        # No quiet hours: the bench may run at any hour.
        county_structure(
            c,
            villages,
            households,
            quiet_hours_start=clock_time(0),
            quiet_hours_end=clock_time(0),
        )
        # 8 villagers per 3 households: 3, 3, 2.
        c.execute(
            """INSERT INTO village_villager
                 (village_id, household_id, name, id_number, birth_date, gender, phone,
                  relation_to_head, status, party_membership, is_representative)
               SELECT h.village_id, h.id, '村民' || h.id || '-' || m,
                      lpad((h.id * 4 + m)::text, 17, '0') || 'X', DATE '1970-01-01' + (m * 3650),
                      'm', CASE WHEN (h.id + m) % 10 < 8
                                THEN '13' || lpad(((h.id * 4 + m) % 1000000000)::text, 9, '0')
                                ELSE '' END,
                      '', 'registered', 'none', false
               FROM village_household h, generate_series(1, 3) m
               WHERE m <= 2 OR h.id % 3 <> 0"""
        )
        c.execute(
            """UPDATE village_household h SET head_id = v.id FROM village_villager v
               WHERE v.household_id = h.id AND v.name = '村民' || h.id || '-1'"""
        )
        # Three in five villagers with an account.
        c.execute(
            """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                      email, is_staff, is_active, date_joined)
               SELECT '!', false, 'bu' || id, '', '', '', false, true, now()
               FROM village_villager WHERE id % 5 < 3"""
        )
        c.execute(
            """UPDATE village_villager v SET user_id = u.id FROM auth_user u
               WHERE u.username = 'bu' || v.id"""
        )
        # One in three accounts has a phone subscribed to push (filled in by `subscribe`).
    print(f"county built: {villages} villages × {households} households", flush=True)


def subscribe(push_service) -> int:
    """Every third account's phone subscribes at the local push service."""
    from django.db import connection

    from village.models import PushSubscription, Villager

    users = list(Villager.objects.filter(user__isnull=False).values_list("user_id", flat=True)[::3])
    device = push_service.subscriber()
    keys = device.subscription()["keys"]
    token = push_service.path_token(device.endpoint)
    rows = [
        PushSubscription(
            user_id=u,
            # One device's keys for all (the service decrypts with them); an address each.
            endpoint=f"http://127.0.0.1:{push_service.port}/push/u{u}/{token}",
            p256dh=keys["p256dh"],
            auth=keys["auth"],
        )
        for u in users
    ]
    PushSubscription.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return len(rows)


def fanout_rounds(rounds: int) -> tuple[float, float, int]:
    """Per round: the notice told in every village through the service, then a COPY of the same
    delivery rows under bare notifications. Returns (median service s, median COPY s, rows)."""
    from django.db import connection, transaction

    from village import services
    from village.models import Delivery, Notification, Village, Villager
    from village.permissions import SYSTEM

    villages = list(Village.objects.filter(township__code="benchcounty").order_by("pk"))
    service_times, copy_times, rows = [], [], 0
    columns = [
        "notification_id",
        "channel",
        "recipient",
        "villager_id",
        "household_id",
        "user_id",
        "subscription_id",
        "phone",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "error",
        "provider_ref",
        "segments",
        "uncertain",
    ]
    for r in range(rounds):
        t0 = time.perf_counter()
        told = []
        for village in villages:
            told.append(
                services.notification_send(
                    actor=SYSTEM,
                    village=village,
                    key=f"notice:bench-{r}",
                    kind="notice",
                    title="明天上午发放冬季取暖补贴",
                    body="请各户带户口本到村委会领取。",
                    url="/notices/1/",
                    villagers=Villager.objects.filter(village=village),
                )
            )
        service_times.append(time.perf_counter() - t0)
        written = list(
            Delivery.objects.filter(notification__in=told)
            .order_by("pk")
            .values_list(*[c.removesuffix("_id") if c == "notification_id" else c for c in columns])
        )
        rows = len(written)
        # The baseline: the same rows, COPYed under bare notifications made beforehand.
        bare = {
            n.pk: Notification.objects.create(
                village_id=n.village_id, key=f"copy:{r}", kind="notice", title="COPY 基线"
            ).pk
            for n in told
        }
        buffer = io.StringIO()
        for row in written:
            values = [bare[row[0]], *row[1:]]
            buffer.write("\t".join(_copy_value(v) for v in values) + "\n")
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as c:
            with c.connection.cursor().copy(
                f"COPY village_delivery ({', '.join(columns)}) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
        copy_times.append(time.perf_counter() - t0)
        print(
            f"  round {r + 1}: service {service_times[-1]:.2f} s, COPY {copy_times[-1]:.2f} s",
            flush=True,
        )
    return statistics.median(service_times), statistics.median(copy_times), rows


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def send_rate(count: int, push_service, aliyun) -> dict:
    """`count` push and `count` SMS rows through the real adapters to the local servers."""
    from django.conf import settings
    from django.utils import timezone

    from tests.support.outbox_servers import vapid_keys
    from village import sending
    from village.models import Channel, Delivery, DeliveryStatus

    private, public = vapid_keys()
    push_service.vapid_public_key = public
    settings.CUNZHI_VAPID_PRIVATE_KEY, settings.CUNZHI_VAPID_PUBLIC_KEY = private, public
    settings.CUNZHI_SMS_BACKEND = "aliyun"
    settings.CUNZHI_SMS = aliyun.settings()
    figures = {}
    for channel in (Channel.PUSH, Channel.SMS):
        pending = Delivery.objects.filter(channel=channel, status=DeliveryStatus.PENDING)
        keep = list(pending.order_by("pk").values_list("pk", flat=True)[:count])
        # Only `count` rows of this channel are due now; the rest wait.
        later = timezone.now() + timedelta(days=30)
        Delivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=later)
        Delivery.objects.filter(pk__in=keep).update(next_attempt_at=timezone.now())
        t0 = time.perf_counter()
        sent = failed = 0
        while True:
            report = sending.deliveries_send_due(limit=500)
            sent, failed = sent + report.sent, failed + report.failed
            if report.sent + report.failed + report.retry == 0:
                break
        seconds = time.perf_counter() - t0
        figures[channel] = (sent, failed, seconds)
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--send", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    db = f"cunzhi_bench_outbox_{os.getpid()}"
    psql(f"CREATE DATABASE {db}")
    started = time.perf_counter()
    try:
        setup(f"postgres://postgres@127.0.0.1:5432/{db}")
        from tests.support.outbox_servers import AliyunSms, PushService
        from village.models import Household, Villager

        t0 = time.perf_counter()
        build(args.villages, args.households)
        with PushService() as push_service, AliyunSms() as aliyun:
            devices = subscribe(push_service)
            print(
                f"{Household.objects.count():,} households, {Villager.objects.count():,} "
                f"villagers, {Villager.objects.filter(user__isnull=False).count():,} accounts, "
                f"{devices:,} push devices; built in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            print(GOAL_FANOUT)
            service, copy, rows = fanout_rounds(args.rounds)
            print(
                f"  {rows:,} delivery rows for {args.villages} villages: notification_send "
                f"{service:.2f} s, raw COPY of the same rows {copy:.2f} s: ratio "
                f"{service / copy:.2f}× (median of {args.rounds} alternating rounds)"
            )
            print(GOAL_SEND)
            for channel, (sent, failed, seconds) in send_rate(
                args.send, push_service, aliyun
            ).items():
                print(
                    f"  {channel}: {sent:,} sent, {failed} failed in {seconds:.1f} s: "
                    f"{sent / seconds:.0f} per second on one worker"
                )
    finally:
        database_finish(db, keep=args.keep, started=started)


if __name__ == "__main__":
    main()
