"""What the chat bot answers. Each handler is thin: one use case, one template."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.inbound import Inbound
from bot.replies import render_text
from bot.router import Router
from channels import errors as channel_errors
from models import AccountChannel, ChannelAccount
from peixunquan.config import Config
from platforms.wechat.delivery_report import record_delivery_report
from platforms.wechat.follower_vouchers import list_vouchers_for_follower
from vouchers.common.labels import STATUS_LABELS
from vouchers.institutions.staff_binding import SCENE_PREFIX, bind_staff_by_scene
from vouchers.notices.consent import record_consents

log = logging.getLogger(__name__)


@dataclass
class BotContext:
    config: Config
    official: Any  # channels.wechat.client.WechatClient of the Official Account


router = Router()


@router.text("我的培训券", "培训券", "查券")
async def my_vouchers(ctx: BotContext, msg: Inbound) -> str:
    try:
        vouchers = await list_vouchers_for_follower(
            ctx.config.wechat_official.app_id, msg.from_user, ctx.official.union_id
        )
    except channel_errors.ChannelError as exc:  # the UnionID lookup failed
        log.warning("unionid lookup failed: %s", exc)
        return render_text("busy")
    if vouchers is None:
        # A tappable link: WeChat opens the mini program's page, or `href` where it cannot.
        return render_text(
            "verify_first",
            miniapp_id=ctx.config.wechat.app_id,
            verify_page=ctx.config.wechat.verify_page,
            h5_url=f"{ctx.config.server.public_url.rstrip('/')}/h5/wallet",
        )
    return render_text("vouchers", vouchers=vouchers, statuses=STATUS_LABELS)


@router.text("签到")
async def checkin_help(ctx: BotContext, msg: Inbound) -> str:
    return render_text("checkin")


@router.default
async def help_menu(ctx: BotContext, msg: Inbound) -> str:
    return render_text("help", text=msg.content.strip()[:50])


@router.event("subscribe")
@router.event("subscribe_scan")
async def welcome(ctx: BotContext, msg: Inbound) -> str:
    return render_text("welcome")


@router.event("subscribe_scan", key_prefix=SCENE_PREFIX)
@router.event("scan", key_prefix=SCENE_PREFIX)
async def bind_staff(ctx: BotContext, msg: Inbound) -> str:
    staff_id = await bind_staff_by_scene(msg.event_key, ctx.config.wechat_official.app_id, msg.from_user)
    return render_text("staff_bound" if staff_id is not None else "staff_bind_failed")


@router.event("subscribe_msg_popup_event")
async def consent_popup(ctx: BotContext, msg: Inbound) -> None:
    items = (msg.raw.get("SubscribeMsgPopupEvent") or {}).get("List") or []
    if isinstance(items, dict):  # xmltodict gives one <List> as a dict, several as a list
        items = [items]
    results = {
        str(i["TemplateId"])[:64]: str(i.get("SubscribeStatusString", "")).lower()
        for i in items
        if isinstance(i, dict) and i.get("TemplateId")
    }
    if results:
        account, _ = await ChannelAccount.get_or_create(
            channel=AccountChannel.WECHAT_OFFICIAL, app_id=ctx.config.wechat_official.app_id, subject=msg.from_user
        )
        await record_consents(account, results)
    return None


@router.event("templatesendjobfinish")
async def template_report(ctx: BotContext, msg: Inbound) -> None:
    msg_id = str(msg.raw.get("MsgID") or msg.raw.get("MsgId") or "")
    status = msg.raw.get("Status")
    if msg_id.isdigit() and isinstance(status, str):
        await record_delivery_report(msg_id, status)
    return None
