"""The pages of the institution portal and the bureau console share one frame
(templates/frame.html): each page is a template of its area, listed in the area's navigation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from web.templates import render


@dataclass(frozen=True)
class FramePage:
    path: str
    template: str
    title: str
    nav: str  # the navigation label
    requires: str = ""  # a permission the user needs ("commissioner" in the portal); empty: everyone


def page_handler(
    area: str, page: FramePage, pages: tuple[FramePage, ...]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await render(f"{area}/{page.template}", page=page, pages=pages)

    handler.__doc__ = f"{area}: {page.title}"
    return handler
