"""The institution portal (机构服务平台): Jinja2 pages rendered once,
whose small scripts talk to /api/v1 with the staff member's bearer token kept in sessionStorage
(one login for every portal page of the tab). No CDN: everything is served here.

Each portal page is one template under templates/institution/ extending `base.html` (login,
navigation, 退出) and one script under static/institution/."""

from __future__ import annotations

from aiohttp import web

from web.frame import FramePage, page_handler

# The navigation, in its order. `requires="commissioner"` pages are hidden from scanning staff
# (the API refuses them anyway).
PAGES = (
    FramePage("/institution", "home.html", "机构服务平台", "首页"),
    FramePage("/institution/scan", "scan.html", "扫码核验", "扫码核验"),
    FramePage("/institution/classes", "classes.html", "培训班与课次", "培训班"),
    FramePage("/institution/signups", "signups.html", "线上报名", "报名"),
    FramePage("/institution/attendance", "attendance.html", "学员与考勤", "考勤"),
    FramePage("/institution/completion", "completion.html", "结业与补贴", "结业与补贴"),
    FramePage("/institution/evaluations", "evaluations.html", "学员评价", "评价"),
    FramePage("/institution/sites", "sites.html", "教学点", "教学点"),
    FramePage("/institution/staff", "staff.html", "工作人员", "工作人员", requires="commissioner"),
    FramePage("/institution/wechat", "wechat.html", "我的账号", "我的账号"),
    FramePage("/institution/notices", "notices.html", "通知与推送", "通知"),
)


def setup_routes(app: web.Application) -> None:
    for page in PAGES:
        app.router.add_get(page.path, page_handler("institution", page, PAGES))
