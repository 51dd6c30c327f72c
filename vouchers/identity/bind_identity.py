"""Bind a channel account to a person after a passed face verification.

Channels (WeChat, Alipay) call this only once their own server-side query says "passed".
The person is found by the HMAC of the ID number, so the same person arriving through WeChat
and Alipay is one person with one wallet.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import ChannelAccount, IdentityVerification, Person, VerificationStatus
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.personal_data import PersonalDataKeys, normalize_id_number, normalize_name


async def find_or_create_person(keys: PersonalDataKeys, name: str, id_number: str, conn=None) -> Person:
    id_hash = keys.id_hash(id_number)
    person = await Person.get_or_none(id_hash=id_hash).using_db(conn)
    if person:
        return person
    try:
        async with in_transaction() as tx:
            return await Person.create(
                id_hash=id_hash,
                id_cipher=keys.encrypt(id_number, b"id"),
                name_cipher=keys.encrypt(name, b"name"),
                using_db=tx,
            )
    except IntegrityError:  # created by a concurrent request a moment ago
        return await Person.get(id_hash=id_hash)


async def bind_verified_identity(
    keys: PersonalDataKeys,
    account: ChannelAccount,
    name: str,
    id_number: str,
    *,
    provider: str,
    out_seq_no: str,
    provider_ref: str | None = None,
) -> Person:
    name = normalize_name(name)
    id_number = normalize_id_number(id_number)
    person = await find_or_create_person(keys, name, id_number)
    if account.person_id is not None and account.person_id != person.id:
        raise errors.IdentityMismatch()
    now = utcnow()
    async with in_transaction() as conn:
        await IdentityVerification.create(
            account_id=account.id,
            person_id=person.id,
            provider=provider,
            out_seq_no=out_seq_no,
            provider_ref=provider_ref,
            id_hash=person.id_hash,
            id_cipher=keys.encrypt(id_number, b"id"),
            name_cipher=keys.encrypt(name, b"name"),
            status=VerificationStatus.PASSED,
            finished_at=now,
            using_db=conn,
        )
        await bind_person(account, person, now, conn)
    return person


async def bind_person(account: ChannelAccount, person: Person, now: datetime, conn: BaseDBAsyncClient) -> None:
    """Bind inside the caller's transaction. Only an unbound account (or one bound to this very
    person) is bound: no silent rebinding."""
    updated = (
        await ChannelAccount.filter(id=account.id, person_id__isnull=True)
        .using_db(conn)
        .update(person_id=person.id, bound_at=now)
    )
    if not updated:
        current = await ChannelAccount.get(id=account.id).using_db(conn)
        if current.person_id != person.id:
            raise errors.IdentityMismatch()
    account.person_id = person.id
