"""Which channels can carry each kind of outbox message.

Trainee notices go to the first channel that reaches the person: the channel modules each add a
`PersonNotifier` (WeChat mini program, Alipay, Official Account) in order of preference; a
notifier answers None when it cannot reach this person (no bound account there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jobs.delivery import Attempt, Route
from models import OutboxMessage
from vouchers.notices.trainee_texts import KINDS

PersonNotifier = Callable[[OutboxMessage], Awaitable[Attempt | None]]

PERSON_NOTICES = KINDS  # the voucher notices a trainee gets (vouchers.notices.trainee_texts)


def person_notice_route(notifiers: list[PersonNotifier]) -> Route:
    async def route(message: OutboxMessage) -> list[Attempt]:
        attempts = []
        for notifier in notifiers:
            attempt = await notifier(message)
            if attempt is not None:
                attempts.append(attempt)
        return attempts

    return route


def build_routes(person_notifiers: list[PersonNotifier], extra: dict[str, Route] | None = None) -> dict[str, Route]:
    route = person_notice_route(person_notifiers)
    return {kind: route for kind in PERSON_NOTICES} | (extra or {})
