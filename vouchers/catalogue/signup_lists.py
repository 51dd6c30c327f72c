"""Sign-ups as their readers see them: the trainee's own (with the class and institution), and an
institution's sign-ups of one class (the holder masked). The status is the effective one: a
pending sign-up whose class has started reads 已失效 before the sweep writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Count

from models import ChannelAccount, Person, Signup, SignupStatus, Staff, TrainingClass
from vouchers.catalogue.lapse import effective_status, lapse_reason, open_until_day
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.scanning.summary import MaskedHolders


@dataclass(frozen=True)
class SignupEntry:
    signup: Signup  # with training_class (and its institution) and voucher (and its batch)
    status: SignupStatus
    reason: str | None  # the institution's reason for a decline, or why it lapsed
    holder_name: str | None = None  # masked, for the institution

    @property
    def cancellable(self) -> bool:
        return self.status == SignupStatus.PENDING


def _entry(signup: Signup, now: datetime, holder_name: str | None = None) -> SignupEntry:
    status = effective_status(signup, signup.training_class, signup.voucher, now)
    reason = signup.reason
    if status == SignupStatus.LAPSED and signup.status == SignupStatus.PENDING:
        reason = lapse_reason(signup, signup.training_class, signup.voucher, now)
    return SignupEntry(signup, status, reason, holder_name)


async def my_signups(account: ChannelAccount, limit: int = 50, offset: int = 0) -> list[SignupEntry]:
    if account.person_id is None:
        raise errors.IdentityRequired()
    rows = (
        await Signup.filter(person_id=account.person_id)
        .prefetch_related("training_class__institution", "voucher__batch")
        .order_by("-id")
        .offset(offset)
        .limit(limit)
    )
    now = utcnow()
    return [_entry(s, now) for s in rows]


async def my_signup(account: ChannelAccount, signup: Signup) -> SignupEntry:
    """One of mine just changed, as the list shows it."""
    await signup.fetch_related("training_class__institution", "voucher__batch")
    return _entry(signup, utcnow())


async def class_signups(
    staff: Staff, holders: MaskedHolders, class_id: int, limit: int = 100, offset: int = 0
) -> tuple[TrainingClass, list[SignupEntry]]:
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    rows = (
        await Signup.filter(training_class_id=class_id)
        .prefetch_related("voucher__batch")
        .order_by("-id")
        .offset(offset)
        .limit(limit)
    )
    people = {p.id: p for p in await Person.filter(id__in=list({s.person_id for s in rows}))}
    now = utcnow()
    entries = []
    for signup in rows:
        signup.training_class = training_class
        person = people[signup.person_id]
        entries.append(_entry(signup, now, holders.of(person.name_cipher, person.id_cipher)[0]))
    return training_class, entries


async def waiting_counts(staff: Staff) -> dict[int, int]:
    """Per class of the member's institution: the sign-ups waiting for the registration scan or
    a decline (pending, of classes not started yet), for the portal's class choice."""
    rows = (
        await Signup.filter(
            institution_id=staff.institution_id,
            status=SignupStatus.PENDING,
            training_class__start_date__gte=open_until_day(utcnow()),
        )
        .annotate(n=Count("id"))
        .group_by("training_class_id")
        .values_list("training_class_id", "n")
    )
    return dict(rows)
