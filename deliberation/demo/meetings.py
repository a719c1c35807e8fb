"""The meetings of the four steps and the votes, as the demo's matters go through them,
recorded through deliberation.services on the simulated clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from village.demo import clock
from village.selectors import Body as CoreBody
from village.selectors import body_members

from .. import services
from ..models import Matter

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9) -> datetime:
    """`day` (ISO) at `hour` o'clock in the village's time zone."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def members(village, body, day):
    """Who sat on `body` on `day` (ISO)."""
    return list(body_members(village=village, body=body, on=datetime.fromisoformat(day).date()))


def steps_1_to_3(sec, matter, village, days, *, minutes=("", "", ""), fail_party=False):
    """Record steps 1–3 on the given days; all present vote yes unless told otherwise."""
    branch = members(village, CoreBody.BRANCH_COMMITTEE, days[0])
    with clock(at(days[0], 20)):
        services.meeting_record(
            actor=sec,
            matter=matter,
            held_on=at(days[0]).date(),
            place="村党群服务中心",
            present=[p.pk for p in branch],
            votes={p.pk: "yes" for p in branch},
            minutes=minutes[0],
            chair=branch[0],
            recorder=branch[1],
        )
    two = members(village, CoreBody.TWO_COMMITTEES, days[1])
    came = two[:-1]
    with clock(at(days[1], 20)):
        services.meeting_record(
            actor=sec,
            matter=matter,
            held_on=at(days[1]).date(),
            place="村两委会议室",
            present=[p.pk for p in came],
            votes={p.pk: ("yes" if i else "abstain") for i, p in enumerate(came)},
            minutes=minutes[1],
            chair=two[0],
            recorder=two[1],
            observers=[("乡贤 王德顺", "乡贤参事会"), ("镇包村干部", "云岭镇")],
        )
    party = members(village, CoreBody.PARTY_MEMBERS, days[2])
    present = party[: len(party) // 3] if fail_party else party[: len(party) * 4 // 5]
    exempt = {party[-1].pk: "外出务工，书记批准"}
    with clock(at(days[2], 20)):
        services.meeting_record(
            actor=sec,
            matter=matter,
            held_on=at(days[2]).date(),
            place="村党群服务中心",
            present=[p.pk for p in present],
            votes={p.pk: "yes" for p in present},
            exemptions=exempt,
            minutes=minutes[2],
            chair=party[0],
            recorder=branch[1],
        )


def vote(sec, matter, village, day, closes, *, online_users=(), hall_yes=0, hall_no=0):
    """Open the vote on `day`, cast the online votes, enter the hall's votes."""
    with clock(at(day, 8)):
        meeting = services.matter_open_vote(
            actor=sec,
            matter=matter,
            held_on=at(day).date(),
            place="村文化广场",
            opens_at=at(day, 8),
            closes_at=closes,
        )
    for i, user in enumerate(online_users):
        with clock(at(day, 9) + timedelta(minutes=7 * i)):
            services.vote_cast(actor=user, matter=matter, choice="yes" if i % 5 else "no")
    if hall_yes or hall_no:
        voted = set(meeting.participations.values_list("voter_id", flat=True))
        rows = [a for a in meeting.attendance.all() if a.villager_id not in voted]
        chosen = rows[: hall_yes + hall_no]
        with clock(at(day, 11)):
            if matter.ballot_mode == "secret":
                services.hall_votes_enter(
                    actor=sec,
                    matter=matter,
                    present=[a.villager_id for a in chosen],
                    tally={"yes": hall_yes, "no": hall_no, "abstain": 0},
                )
            else:
                services.hall_votes_enter(
                    actor=sec,
                    matter=matter,
                    present=[a.villager_id for a in chosen],
                    votes={
                        a.villager_id: ("yes" if i < hall_yes else "no")
                        for i, a in enumerate(chosen)
                    },
                )
    return meeting


def demo_resolution(*, ref: int, start: datetime) -> datetime:
    """Take the draft matter `ref` (opened at `start` by another app, e.g. points asking for
    its year-end list to be decided) through the four steps: decided by the representatives'
    meeting a week later, its resolution published the next day and closed when its days are
    over (village.extensions.demo_resolution). Returns the moment after it settled."""
    matter = Matter.objects.select_related("village").get(pk=ref)
    village = matter.village
    sec = get_user_model().objects.get(username="secretary")
    day = [(start + timedelta(days=n)).date().isoformat() for n in (1, 3, 5, 7, 8)]
    steps_1_to_3(
        sec,
        matter,
        village,
        day[:3],
        minutes=("支委会一致同意提议。", "两委商议同意，提交党员大会。", "党员大会审议通过。"),
    )
    reps = members(village, CoreBody.REPRESENTATIVES, day[3])
    vote(sec, matter, village, day[3], at(day[3], 17), hall_yes=len(reps) - 2, hall_no=1)
    with clock(at(day[3], 18)):
        tally = services.matter_close_vote(
            actor=sec, matter=matter, minutes="村民代表会议举手表决，当场计票，监委会监督。"
        )
    supervisor = get_user_model().objects.get(username="supervisor")
    with clock(at(day[3], 19)):  # the supervision committee was in the hall: it countersigns
        services.meeting_supervise(actor=supervisor, meeting=tally, stance="countersign")
    with clock(at(day[4])):
        publication = services.matter_publish(
            actor=sec, matter=matter, text=f"村民代表会议表决通过《{matter.title}》，现予公开。"
        )
    closes = publication.ends_at + timedelta(hours=1)
    with clock(closes):
        services.publication_close(actor=sec, matter=matter)
    return closes + timedelta(hours=1)
