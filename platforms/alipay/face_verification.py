"""Face verification through Alipay (`alipay.user.certify.open.*`), on the channel-independent
`face_verification`: the identity is sealed when the verification starts, and the person is
bound only when *our* query of the certify id says passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from channels import errors as channel_errors
from models import AccountChannel, ChannelAccount, IdentityVerification, Person
from vouchers.common import errors
from vouchers.identity.face_verification import (
    finish_verification,
    pending_verification,
    sealed_identity,
    start_verification,
)
from vouchers.services import Services

PROVIDER = "alipay"


class CertifyVerdict(Protocol):
    passed: bool
    fail_reason: str | None


class AlipayCertify(Protocol):
    async def certify_initialize(self, outer_order_no: str, cert_name: str, cert_no: str, return_url: str) -> str: ...

    def certify_url(self, certify_id: str) -> str: ...

    async def certify_query(self, certify_id: str) -> CertifyVerdict: ...


@dataclass(frozen=True)
class StartedVerification:
    verification_id: str  # our out_seq_no: the client confirms with it
    certify_id: str
    certify_url: str


def _require_alipay(account: ChannelAccount) -> None:
    if account.channel != AccountChannel.ALIPAY:
        raise errors.AlipayAccountRequired()


async def start_alipay_verification(
    svc: Services, alipay: AlipayCertify, account: ChannelAccount, name: str, id_number: str, return_url: str
) -> StartedVerification:
    _require_alipay(account)
    verification = await start_verification(svc.keys, account, name, id_number, provider=PROVIDER)
    cert_name, cert_no = sealed_identity(svc.keys, verification)
    try:
        certify_id = await alipay.certify_initialize(verification.out_seq_no, cert_name, cert_no, return_url)
    except channel_errors.BadData:
        raise errors.AlipayIdentityRefused() from None
    except channel_errors.ChannelError:
        raise errors.AlipayUnavailable() from None
    await IdentityVerification.filter(id=verification.id).update(provider_ref=certify_id)
    return StartedVerification(verification.out_seq_no, certify_id, alipay.certify_url(certify_id))


async def confirm_alipay_verification(
    svc: Services, alipay: AlipayCertify, account: ChannelAccount, verification_id: str
) -> Person:
    """Binds the person when Alipay says passed. `passed` "F" means "failed or not done yet"
    (Alipay's own wording): without a `fail_reason` the person has not finished the face scan,
    so `VerificationPending` leaves the certification open for a confirm after the scan, as
    WeChat's 10001 does. With a reason it failed: `VerificationFailed`, the attempt is closed."""
    _require_alipay(account)
    verification = await pending_verification(account, verification_id)
    if verification.provider != PROVIDER or not verification.provider_ref:
        raise errors.VerificationNotFound()
    try:
        verdict = await alipay.certify_query(verification.provider_ref)
    except channel_errors.ChannelError:
        raise errors.AlipayUnavailable() from None
    if not verdict.passed and not verdict.fail_reason:
        raise errors.VerificationPending()
    return await finish_verification(
        svc.keys, account, verification, passed=verdict.passed, provider_ref=verification.provider_ref
    )
