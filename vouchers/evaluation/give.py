"""A trainee gives, edits and reads their own evaluations. One per voucher (a unique key on the
voucher is the last guard against two at once); editable for 7 days after it was first given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from models import ChannelAccount, Evaluation, Voucher
from vouchers.common import errors
from vouchers.evaluation.eligibility import subjects
from vouchers.evaluation.spec import EvaluationSpec, NewEvaluation
from vouchers.evaluation.tags import mask_of

EDIT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Given:
    """An evaluation as its author sees it."""

    evaluation: Evaluation  # with voucher, class and institution

    def editable_until(self) -> datetime:
        return self.evaluation.given_at + EDIT_WINDOW

    def editable(self, now: datetime) -> bool:
        return now < self.editable_until()


def _person(account: ChannelAccount) -> int:
    if account.person_id is None:
        raise errors.IdentityRequired()
    return account.person_id


async def give_evaluation(account: ChannelAccount, body: NewEvaluation, now: datetime) -> Given:
    person_id = _person(account)
    # Someone else's voucher is "not found": codes must not be probeable.
    voucher = await Voucher.get_or_none(code=body.voucher_code, person_id=person_id)
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    if await Evaluation.exists(voucher_id=voucher.id):
        raise errors.AlreadyEvaluated()
    found = await subjects([voucher])
    if not found or not found[0].ready(now):
        raise errors.EvaluationNotYet()
    klass = found[0].training_class
    try:
        evaluation = await Evaluation.create(
            voucher_id=voucher.id,
            person_id=person_id,
            institution_id=klass.institution_id,
            training_class_id=klass.id,
            **_scores(body),
            given_at=now,
            updated_at=now,
        )
    except IntegrityError:  # the same voucher evaluated at the same moment elsewhere
        raise errors.AlreadyEvaluated() from None
    return await _given(evaluation.id)


async def edit_evaluation(account: ChannelAccount, evaluation_id: int, body: EvaluationSpec, now: datetime) -> Given:
    person_id = _person(account)
    if not await Evaluation.exists(id=evaluation_id, person_id=person_id):
        raise errors.EvaluationNotFound()
    # The window is checked in the UPDATE itself: an edit racing the deadline cannot slip past it.
    changed = await Evaluation.filter(id=evaluation_id, given_at__gt=now - EDIT_WINDOW).update(
        **_scores(body), updated_at=now
    )
    if not changed:
        raise errors.EvaluationLocked()
    return await _given(evaluation_id)


async def my_evaluations(account: ChannelAccount, limit: int = 50, offset: int = 0) -> list[Given]:
    person_id = _person(account)
    rows = (
        await Evaluation.filter(person_id=person_id)
        .order_by("-given_at", "-id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("voucher__batch", "training_class", "institution")
    )
    return [Given(e) for e in rows]


def _scores(body: EvaluationSpec) -> dict[str, object]:
    return {
        "teaching": body.teaching,
        "organisation": body.organisation,
        "usefulness": body.usefulness,
        "tag_mask": mask_of(body.tags),
        "comment": body.comment,
    }


async def _given(evaluation_id: int) -> Given:
    evaluation = await Evaluation.get(id=evaluation_id).prefetch_related(
        "voucher__batch", "training_class", "institution"
    )
    return Given(evaluation)
