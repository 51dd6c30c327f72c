"""Face verification, channel-independent: start with (name, ID number), finish with the
platform's own verdict as read by our server.

A channel (WeChat `getverifyid`/`queryverifyinfo`, Alipay `user.certify.open.*`) calls
`start_verification` before it asks the platform for a verification id, and
`finish_verification` with what *its server-side query* returned. The name and ID number the
person is bound to are the ones sealed at the start: whatever the client says later is never
trusted.
"""

from __future__ import annotations

import secrets

from tortoise.transactions import in_transaction

from models import ChannelAccount, IdentityVerification, Person, VerificationStatus
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.personal_data import PersonalDataKeys, normalize_id_number, normalize_name
from vouchers.identity.bind_identity import bind_person, find_or_create_person


async def start_verification(
    keys: PersonalDataKeys, account: ChannelAccount, name: str, id_number: str, *, provider: str
) -> IdentityVerification:
    """A pending verification holding the sealed name and ID number; `out_seq_no` is the
    merchant-side reference the platform call carries."""
    name = normalize_name(name)
    id_number = normalize_id_number(id_number)
    return await IdentityVerification.create(
        account_id=account.id,
        provider=provider,
        out_seq_no=f"{provider[:8]}{secrets.token_hex(12)}",
        id_hash=keys.id_hash(id_number),
        id_cipher=keys.encrypt(id_number, b"id"),
        name_cipher=keys.encrypt(name, b"name"),
    )


def sealed_identity(keys: PersonalDataKeys, verification: IdentityVerification) -> tuple[str, str]:
    """(name, ID number) as stored at the start, for the platform call that needs them."""
    return keys.decrypt(verification.name_cipher, b"name"), keys.decrypt(verification.id_cipher, b"id")


async def pending_verification(account: ChannelAccount, out_seq_no: str) -> IdentityVerification:
    verification = await IdentityVerification.get_or_none(out_seq_no=out_seq_no, account_id=account.id)
    if verification is None:
        raise errors.VerificationNotFound()
    if verification.status is not VerificationStatus.PENDING:
        raise errors.VerificationFinished()
    return verification


async def finish_verification(
    keys: PersonalDataKeys,
    account: ChannelAccount,
    verification: IdentityVerification,
    *,
    passed: bool,
    provider_ref: str | None = None,
) -> Person:
    """Record the platform's verdict; on a pass, bind the account to the sealed person.
    Raises `errors.VerificationFailed` on a fail (after recording it)."""
    now = utcnow()
    if not passed:
        await IdentityVerification.filter(id=verification.id, status=VerificationStatus.PENDING).update(
            status=VerificationStatus.FAILED, finished_at=now, provider_ref=provider_ref
        )
        raise errors.VerificationFailed()
    name, id_number = sealed_identity(keys, verification)
    person = await find_or_create_person(keys, name, id_number)
    async with in_transaction() as conn:
        finished = (
            await IdentityVerification.filter(id=verification.id, status=VerificationStatus.PENDING)
            .using_db(conn)
            .update(status=VerificationStatus.PASSED, finished_at=now, person_id=person.id, provider_ref=provider_ref)
        )
        if not finished:  # a concurrent confirm of the same verification won
            raise errors.VerificationFinished()
        await bind_person(account, person, now, conn)
    return person
