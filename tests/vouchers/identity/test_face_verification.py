"""The channel-independent face verification: the sealed identity is what gets bound."""

from __future__ import annotations

import pytest

from models import ChannelAccount, IdentityVerification, Person, VerificationStatus
from tests.support import factories
from vouchers.common import errors
from vouchers.identity.face_verification import finish_verification, pending_verification, start_verification


async def test_pass_binds_the_identity_sealed_at_the_start(svc) -> None:
    account, _ = await factories.unverified(svc)
    number = factories.id_number()
    started = await start_verification(svc.keys, account, "王五", number, provider="wechat")
    stored = await IdentityVerification.get(id=started.id)
    assert number not in (stored.id_cipher, stored.id_hash) and stored.status is VerificationStatus.PENDING

    found = await pending_verification(account, started.out_seq_no)
    person = await finish_verification(svc.keys, account, found, passed=True, provider_ref="v1")

    assert person.id_hash == svc.keys.id_hash(number)
    assert (await ChannelAccount.get(id=account.id)).person_id == person.id
    assert (await IdentityVerification.get(id=started.id)).status is VerificationStatus.PASSED
    with pytest.raises(errors.VerificationFinished):
        await pending_verification(account, started.out_seq_no)


async def test_fail_records_and_binds_nothing(svc) -> None:
    account, _ = await factories.unverified(svc)
    started = await start_verification(svc.keys, account, "王五", factories.id_number(), provider="alipay")
    with pytest.raises(errors.VerificationFailed):
        await finish_verification(svc.keys, account, started, passed=False)
    assert (await ChannelAccount.get(id=account.id)).person_id is None
    assert await Person.all().count() == 0
    assert (await IdentityVerification.get(id=started.id)).status is VerificationStatus.FAILED


async def test_another_accounts_verification_is_not_found(svc) -> None:
    account, _ = await factories.unverified(svc)
    other, _ = await factories.unverified(svc)
    started = await start_verification(svc.keys, account, "王五", factories.id_number(), provider="wechat")
    with pytest.raises(errors.VerificationNotFound):
        await pending_verification(other, started.out_seq_no)


async def test_a_bound_account_cannot_be_rebound_to_someone_else(svc) -> None:
    account, _ = await factories.trainee(svc)
    started = await start_verification(svc.keys, account, "王五", factories.id_number(), provider="wechat")
    with pytest.raises(errors.IdentityMismatch):
        await finish_verification(svc.keys, account, started, passed=True)
    assert (await IdentityVerification.get(id=started.id)).status is VerificationStatus.PENDING
