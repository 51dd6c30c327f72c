"""The HR bureau console (人社部门管理后台), in the frame the institution portal uses
(templates/frame.html, static/frame.js): one login per tab, the navigation filtered by what the
user's role may do, 退出. Each page is one template under templates/console/ and one small script
under static/console/ talking to /api/v1/admin with the bureau user's token. No CDN."""

from __future__ import annotations

from aiohttp import web

from web.frame import FramePage, page_handler

# The navigation, in its order. A page whose permission the user lacks is hidden from the
# navigation and says so if opened; the API refuses its actions anyway.
PAGES = (
    FramePage("/console", "home.html", "培训券管理后台", "首页"),
    FramePage("/console/batches", "batches.html", "批次管理", "批次"),
    FramePage("/console/roster", "roster.html", "名单导入", "名单导入", requires="batches"),
    FramePage("/console/institutions", "institutions.html", "培训机构", "培训机构"),
    FramePage("/console/platforms", "platforms.html", "线上培训平台", "线上平台"),
    FramePage("/console/standards", "standards.html", "补贴标准与目标", "标准与目标"),
    FramePage("/console/vouchers", "vouchers.html", "培训券查询与作废", "培训券查询"),
    FramePage("/console/archive", "archive.html", "培训档案查询", "档案查询", requires="archive"),
    FramePage("/console/settlement", "settlement.html", "结算审核", "结算审核"),
    FramePage("/console/payments", "payments.html", "拨付清单", "拨付清单"),
    FramePage("/console/statistics", "statistics.html", "统计分析", "统计分析"),
    FramePage("/console/accounts", "accounts.html", "账号管理", "账号管理", requires="accounts"),
    FramePage("/console/me", "me.html", "我的账号", "我的账号"),
)


def setup_routes(app: web.Application) -> None:
    for page in PAGES:
        app.router.add_get(page.path, page_handler("console", page, PAGES))
