"""An institution at a glance for the bureau: its classes with their places taken, how many
trainees it has enrolled, its settlement claims by status with the subsidy, its sign-ups, and
what its trainees said of it (the evaluations' aggregates; the comments are in
vouchers.evaluation.bureau_view)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.functions import Count, Sum

from models import BureauUser, Enrolment, Evaluation, SettlementClaim, Signup, SignupStatus, TrainingClass
from vouchers.evaluation.aggregates import Summary, summary
from vouchers.institutions.registry import get_institution


@dataclass(frozen=True)
class ClassLine:
    id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: str
    end_date: str
    enrolled: int
    capacity: int


@dataclass(frozen=True)
class Overview:
    classes: list[ClassLine]
    trainees: int  # enrolments made at the institution, annulled ones left out
    claims: dict[str, int] = field(default_factory=dict)  # status -> count
    subsidy_fen: dict[str, int] = field(default_factory=dict)  # status -> sum
    evaluation: Summary = field(default_factory=Summary)
    signups: int = 0  # sign-ups (报名) trainees made online for its classes
    signups_pending: int = 0  # of them, waiting for the registration scan now


async def institution_overview(user: BureauUser, institution_id: int) -> Overview:
    institution = await get_institution(user, institution_id)
    classes = await TrainingClass.filter(institution_id=institution.id).order_by("-start_date", "-id").limit(100)
    trainees = await Enrolment.filter(training_class__institution_id=institution.id, annulled_at=None).count()
    rows = (
        await SettlementClaim.filter(institution_id=institution.id)
        .annotate(n=Count("id"), fen=Sum("subsidy_fen"))
        .group_by("status")
        .values("status", "n", "fen")
    )
    signups = await Signup.filter(institution_id=institution.id).count()
    pending = await Signup.filter(institution_id=institution.id, status=SignupStatus.PENDING).count()
    return Overview(
        classes=[
            ClassLine(
                c.id,
                c.name,
                c.project_type,
                c.occupation,
                c.start_date.isoformat(),
                c.end_date.isoformat(),
                c.enrolled,
                c.capacity,
            )
            for c in classes
        ],
        trainees=trainees,
        claims={str(r["status"]): r["n"] for r in rows},
        subsidy_fen={str(r["status"]): int(r["fen"] or 0) for r in rows},
        evaluation=await summary(Evaluation.filter(institution_id=institution.id)),
        signups=signups,
        signups_pending=pending,
    )
