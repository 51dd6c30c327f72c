"""Notices to institutions: one outbox row per notice is fanned out into one row per recipient
(the institution's webhook, and later each staff member bound to the Official Account), so each
recipient is retried on its own and a repeat of the fan-out creates nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from channels.webhook import WebhookSender
from jobs.delivery import Attempt, Route
from models import OutboxMessage
from vouchers.common.clock import utcnow
from vouchers.common.outbox import insert_new, outbox_row, recipient_key, release_dead
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.institutions.notice_log import INSTITUTION_NOTICE_KINDS, WEBHOOK_NOTICE
from vouchers.institutions.recipients import WEBHOOK
from vouchers.institutions.webhooks import webhook_for

INSTITUTION_NOTICES = INSTITUTION_NOTICE_KINDS

# (notice) -> child outbox rows for one kind of recipient
Recipients = Callable[[OutboxMessage], Awaitable[list[OutboxMessage]]]


def webhook_recipient(keys: PersonalDataKeys) -> Recipients:
    async def rows(notice: OutboxMessage) -> list[OutboxMessage]:
        institution_id = int(notice.payload["institution_id"])
        if await webhook_for(keys, institution_id) is None:
            return []
        event = {"event": notice.kind, "id": notice.id, **notice.payload}
        return [
            outbox_row(
                WEBHOOK_NOTICE,
                utcnow(),
                payload={"institution_id": institution_id, "event": event},
                dedupe_key=recipient_key(notice, WEBHOOK),
            )
        ]

    return rows


def fan_out_route(recipients: list[Recipients]) -> Route:
    async def route(notice: OutboxMessage) -> list[Attempt]:
        async def fan_out(_key: str) -> str:
            children = [row for make in recipients for row in await make(notice)]
            # A recipient whose earlier row of this notice died gets this one; one already
            # reached (or being reached) is skipped by the unique key.
            await release_dead(None, [c.dedupe_key for c in children if c.dedupe_key])
            await insert_new(children)
            return f"fanout:{len(children)}"

        return [Attempt("fanout", fan_out)]

    return route


def webhook_route(keys: PersonalDataKeys, sender: WebhookSender) -> Route:
    async def route(message: OutboxMessage) -> list[Attempt]:
        target = await webhook_for(keys, int(message.payload["institution_id"]))
        if target is None:
            return []  # removed since: dead, "no_channel"
        url, secret = target

        async def send(key: str) -> str:
            return await sender.post(url, secret, message.payload["event"], key)

        return [Attempt("webhook", send)]

    return route


def institution_routes(keys: PersonalDataKeys, sender: WebhookSender, staff: list[Recipients]) -> dict[str, Route]:
    fan_out = fan_out_route([webhook_recipient(keys), *staff])
    return {kind: fan_out for kind in INSTITUTION_NOTICES} | {WEBHOOK_NOTICE: webhook_route(keys, sender)}
