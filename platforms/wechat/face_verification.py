"""Face verification 2.0 in the WeChat mini program.

start: seal name + ID number, ask WeChat for a `verify_id` the mini program hands to
`wx.requestFacialVerify`. confirm: our server queries WeChat with the sealed identity's
`cert_hash`; only `verify_ret == 10000` binds the person. What the client says is not read.
"""

from __future__ import annotations

from typing import Protocol

from channels import errors as channel_errors
from channels.wechat.client import FaceResult, cert_hash
from models import AccountChannel, ChannelAccount, Person
from vouchers.common import errors
from vouchers.identity.face_verification import (
    finish_verification,
    pending_verification,
    sealed_identity,
    start_verification,
)
from vouchers.services import Services

PROVIDER = "wechat"
NOT_DONE = 10001  # the person has not finished the face scan yet


class FaceApi(Protocol):
    async def get_verify_id(self, out_seq_no: str, name: str, id_number: str, openid: str) -> str: ...

    async def query_verify_info(self, verify_id: str, out_seq_no: str, cert_hash: str, openid: str) -> FaceResult: ...


async def start_wechat_verification(
    svc: Services, wechat: FaceApi, account: ChannelAccount, name: str, id_number: str
) -> tuple[str, str]:
    """-> (out_seq_no, verify_id)."""
    if account.channel != AccountChannel.WECHAT_MINIAPP:
        raise errors.WechatOnly()
    verification = await start_verification(svc.keys, account, name, id_number, provider=PROVIDER)
    sealed_name, sealed_number = sealed_identity(svc.keys, verification)
    try:
        verify_id = await wechat.get_verify_id(verification.out_seq_no, sealed_name, sealed_number, account.subject)
    except channel_errors.ChannelError:
        raise errors.WechatUnavailable() from None
    verification.provider_ref = verify_id
    await verification.save(update_fields=["provider_ref"])
    return verification.out_seq_no, verify_id


async def confirm_wechat_verification(
    svc: Services, wechat: FaceApi, account: ChannelAccount, out_seq_no: str
) -> Person:
    verification = await pending_verification(account, out_seq_no)
    if not verification.provider_ref:
        raise errors.VerificationNotFound()
    name, id_number = sealed_identity(svc.keys, verification)
    try:
        result = await wechat.query_verify_info(
            verification.provider_ref, verification.out_seq_no, cert_hash(name, id_number), account.subject
        )
    except channel_errors.Retryable:
        raise errors.WechatUnavailable() from None
    except channel_errors.AuthFailed:
        raise errors.WechatUnavailable() from None
    except channel_errors.Permanent:
        # verify_id expired or unknown, cert_hash mismatch: this attempt cannot pass any more.
        result = FaceResult(verify_ret=-1, passed=False)
    if result.verify_ret == NOT_DONE:
        raise errors.VerificationPending()
    return await finish_verification(
        svc.keys, account, verification, passed=result.passed, provider_ref=verification.provider_ref
    )
