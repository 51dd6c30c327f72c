"""Validation errors in the words of the person who filled the form: pydantic's error types and
the API's field names mapped once to Chinese (issue 19/20: no "String should have at least 10
characters", no `face_value_fen` on a page). `problems` keeps the field and type for programs."""

from __future__ import annotations

from typing import Any

# Field names as a form labels them. A field missing here is shown by its name: add it here.
FIELD_LABELS = {
    "accuracy": "定位精度",
    "all": "全部已读",
    "action": "操作",
    "address": "地址",
    "amount_fen": "金额",
    "batch_id": "批次",
    "capacity": "人数上限",
    "certificate_kind": "证书类别",
    "certificate_level": "证书等级",
    "certificate_number": "证书编号",
    "checkin_closes_at": "签到截止时间",
    "checkin_opens_at": "签到开始时间",
    "claim_end": "领取截止日期",
    "claim_start": "领取开始日期",
    "class_id": "培训班",
    "code": "代码",
    "commissioner": "机构专员",
    "course": "课程",
    "coord_type": "坐标类型",
    "current_password": "当前密码",
    "datum": "坐标系",
    "decision": "审核结果",
    "device": "设备",
    "display_name": "称呼",
    "distribution": "发放方式",
    "eligible_group": "人员类别",
    "eligible_groups": "发放对象",
    "employer_name": "用人单位",
    "end_date": "结束日期",
    "ends_at": "结束时间",
    "face_value_fen": "面值",
    "group": "人员类别",
    "hours": "学习时长",
    "ids": "消息",
    "id_number": "身份证号码",
    "kind": "类型",
    "latitude": "纬度",
    "lesson_id": "课次",
    "level": "等级",
    "longitude": "经度",
    "name": "名称",
    "new_password": "新密码",
    "nonce": "扫码编号",
    "occupation": "工种",
    "occupations": "工种",
    "password": "密码",
    "passed": "考核结果",
    "payload": "二维码内容",
    "phone": "联系电话",
    "project_type": "培训项目",
    "project_types": "培训项目",
    "quantity": "数量",
    "radius_m": "签到范围半径",
    "ratio_permille": "补贴比例",
    "reason": "原因",
    "region": "地区",
    "report_id": "报告编号",
    "required_hours": "要求学时",
    "result": "结果",
    "scanned_at": "扫码时间",
    "site_ids": "教学点",
    "standard_fen": "补贴标准",
    "start_date": "开始日期",
    "starts_at": "开始时间",
    "title": "名称",
    "unit": "章节",
    "url": "网址",
    "voucher": "培训券号",
    "voucher_code": "培训券号",
    "q": "姓名",
    "username": "用户名",
    "valid_days": "有效天数",
    "allow_reclaim_after_return": "退券后可再次领取",
    "valid_until_date": "有效期截止日期",
    "validity_mode": "有效期方式",
    "value_mode": "券面类型",
    "year": "年度",
}


def field_label(loc: tuple[Any, ...]) -> str:
    """The field's label; empty for a rule over the whole form (its message names the fields)."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    if not names:
        return ""
    return FIELD_LABELS.get(names[-1], names[-1])


def reason(error: dict[str, Any]) -> str:
    """The Chinese for one pydantic error (its type and context)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "必须填写"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少{ctx.get('min_length')}个字符"
    if kind == "string_too_long":
        return f"最多{ctx.get('max_length')}个字符"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind in ("too_short", "too_long"):
        return "项目数量不符合要求"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于{ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于{ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "须为整数"
    if kind in ("float_parsing", "float_type"):
        return "须为数字"
    if kind.startswith("date"):
        return "日期或时间格式不正确"
    if kind in ("enum", "literal_error"):
        return "不是可选的值"
    if kind in ("bool_parsing", "bool_type"):
        return "须为是或否"
    if kind == "extra_forbidden":
        return "是不认识的字段"
    if kind in ("json_invalid", "json_type", "model_type", "model_attributes_type", "dict_type"):
        return "提交的内容不是有效的JSON"
    if kind in ("string_type", "list_type"):
        return "类型不正确"
    if kind == "value_error":
        # Our own validators raise ValueError with a Chinese message.
        text = str(ctx.get("error", "")) or error.get("msg", "")
        return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "不符合要求"
    return "不符合要求"


def problem(error: dict[str, Any]) -> dict[str, str]:
    field = ".".join(str(p) for p in error["loc"]) or "(body)"
    return {"field": field, "type": error["type"], "message": f"{field_label(error['loc'])}{reason(error)}"}


def summary(problems: list[dict[str, str]]) -> str:
    """One line for the page: every problem, in the form's words."""
    seen: list[str] = []
    for p in problems:
        if p["message"] not in seen:
            seen.append(p["message"])
    return "输入内容不符合要求：" + "；".join(seen[:5]) + ("……" if len(seen) > 5 else "")
