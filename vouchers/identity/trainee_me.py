"""What the trainee's "me" page shows: the identity the account is bound to (masked, never in
clear) and every channel the person is known on (WeChat, Alipay, the Official Account, H5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import AccountChannel, ChannelAccount, Person
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number
from vouchers.scanning.summary import mask_name

CHANNEL_TEXT = {
    AccountChannel.WECHAT_MINIAPP: "微信小程序",
    AccountChannel.WECHAT_OFFICIAL: "微信公众号",
    AccountChannel.ALIPAY: "支付宝小程序",
    AccountChannel.H5: "人社 App（H5）",
}


@dataclass(frozen=True)
class BoundChannel:
    channel: str
    channel_text: str
    bound_at: datetime | None
    this_one: bool


@dataclass(frozen=True)
class Me:
    verified: bool
    name: str | None  # masked
    id_number: str | None  # masked
    channels: list[BoundChannel]


async def me(keys: PersonalDataKeys, account: ChannelAccount) -> Me:
    if account.person_id is None:
        text = CHANNEL_TEXT.get(AccountChannel(account.channel), str(account.channel))
        return Me(False, None, None, [BoundChannel(str(account.channel), text, None, True)])
    person = await Person.get(id=account.person_id)
    accounts = await ChannelAccount.filter(person_id=person.id).order_by("bound_at", "id")
    return Me(
        verified=True,
        name=mask_name(keys.decrypt(person.name_cipher, b"name")),
        id_number=mask_id_number(keys.decrypt(person.id_cipher, b"id")),
        channels=[
            BoundChannel(
                str(a.channel),
                CHANNEL_TEXT.get(AccountChannel(a.channel), str(a.channel)),
                a.bound_at,
                a.id == account.id,
            )
            for a in accounts
        ],
    )
