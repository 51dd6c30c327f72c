"""The trainee's H5 pages for provincial HR apps (templates/h5/, static/h5/): the card center,
the training catalogue, the wallet with the rotating QR, notices and "me", with the archive,
sign-ups and evaluations reached from them. One frame (templates/h5/base.html) with a bottom tab
bar; each page's script talks to /api/v1 with the session token the app put in the URL's hash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from web.templates import render


@dataclass(frozen=True)
class H5Page:
    path: str
    template: str
    title: str
    nav: str = ""  # set on the pages of the tab bar
    tab: str = ""  # the tab a page belongs to

    def __post_init__(self) -> None:
        if not self.tab:
            object.__setattr__(self, "tab", self.path)


PAGES = (
    H5Page("/h5/cards", "cards.html", "领取培训券", nav="领券"),
    H5Page("/h5/catalogue", "catalogue.html", "找培训", nav="找培训"),
    H5Page("/h5/wallet", "wallet.html", "我的培训券", nav="我的券"),
    H5Page("/h5/notices", "notices.html", "我的通知", nav="通知"),
    H5Page("/h5/me", "me.html", "我的", nav="我的"),
    H5Page("/h5/archive", "archive.html", "我的培训档案", tab="/h5/me"),
    H5Page("/h5/evaluate", "evaluate.html", "培训评价", tab="/h5/me"),
    H5Page("/h5/signups", "signups.html", "我的报名", tab="/h5/catalogue"),
)
TABS = tuple(p for p in PAGES if p.nav)


def _handler(page: H5Page) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await render(f"h5/{page.template}", page=page, tabs=TABS)

    handler.__doc__ = f"H5: {page.title}"
    return handler


def setup_routes(app: web.Application) -> None:
    for page in PAGES:
        app.router.add_get(page.path, _handler(page))
