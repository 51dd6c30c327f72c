"""The HR bureau console (人社部门管理后台), in the frame the institution portal uses
(templates/frame.html, static/frame.js): one login per tab, the navigation filtered by what the
user's role may do, 退出. Each page is one template under templates/console/ and one small script
under static/console/ talking to /api/v1/admin with the bureau user's token. No CDN.

Also the trainee's H5 training archive."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from web.templates import render


@dataclass(frozen=True)
class ConsolePage:
    path: str
    template: str
    title: str
    nav: str
    requires: str = ""  # a permission (vouchers.identity.bureau_roles.Permission); empty: every user


# The navigation, in its order. A page whose permission the user lacks is hidden from the
# navigation and says so if opened; the API refuses its actions anyway.
PAGES = (
    ConsolePage("/console", "home.html", "培训券管理后台", "首页"),
    ConsolePage("/console/batches", "batches.html", "批次管理", "批次"),
    ConsolePage("/console/roster", "roster.html", "名单导入", "名单导入", requires="batches"),
    ConsolePage("/console/institutions", "institutions.html", "培训机构", "培训机构"),
    ConsolePage("/console/standards", "standards.html", "补贴标准与目标", "标准与目标"),
    ConsolePage("/console/vouchers", "vouchers.html", "培训券查询与作废", "培训券查询"),
    ConsolePage("/console/archive", "archive.html", "培训档案查询", "档案查询", requires="archive"),
    ConsolePage("/console/settlement", "settlement.html", "结算审核", "结算审核"),
    ConsolePage("/console/payments", "payments.html", "拨付清单", "拨付清单"),
    ConsolePage("/console/statistics", "statistics.html", "统计分析", "统计分析"),
    ConsolePage("/console/accounts", "accounts.html", "账号管理", "账号管理", requires="accounts"),
    ConsolePage("/console/me", "me.html", "我的账号", "我的账号"),
)


def _page(page: ConsolePage):
    async def handler(request: web.Request) -> web.Response:
        return await render(f"console/{page.template}", page=page, pages=PAGES)

    handler.__doc__ = f"Bureau console: {page.title}"
    return handler


async def archive_page(request: web.Request) -> web.Response:
    """H5 training archive (我的培训档案) for provincial HR apps"""
    return await render("archive.html")


def setup_routes(app: web.Application) -> None:
    for page in PAGES:
        app.router.add_get(page.path, _page(page))
    app.router.add_get("/h5/archive", archive_page)
