"""Validation errors in the words of the person who filled the form: pydantic's error types and
the API's field names mapped once to Chinese (issue 19/20: no "String should have at least 10
characters", no `face_value_fen` on a page). `problems` keeps the field and type for programs."""

from __future__ import annotations

from typing import Any

# Field names as a form labels them. A field missing here is shown by its name: add it here.
FIELD_LABELS = {
    "accuracy": "定位精度",
    "action": "操作",
    "address": "地址",
    "all": "全部已读",
    "all_time": "全部年度",
    "allow_reclaim_after_return": "退券后可再次领取",
    "amount_fen": "金额",
    "auth_code": "授权码",
    "batch_id": "批次",
    "before": "翻页位置",
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
    "comment": "评价内容",
    "commissioner": "机构专员",
    "coord_type": "坐标类型",
    "course": "课程",
    "current_password": "当前密码",
    "date_from": "开始日期",
    "date_to": "结束日期",
    "datum": "坐标系",
    "decision": "审核结果",
    "device": "设备",
    "display_name": "称呼",
    "distribution": "发放方式",
    "effective_year": "起始年度",
    "eligible_group": "人员类别",
    "eligible_groups": "发放对象",
    "employer_name": "用人单位",
    "end_date": "结束日期",
    "ends_at": "结束时间",
    "face_value_fen": "面值",
    "format": "文件格式",
    "fund_source": "资金来源",
    "group": "人员类别",
    "hold_places_for_signups": "为线上报名保留名额",
    "hours": "学习时长",
    "id_number": "身份证号码",
    "ids": "消息",
    "institution_id": "培训机构",
    "issue_target": "发券目标",
    "kind": "类型",
    "latitude": "纬度",
    "lesson_id": "课次",
    "level": "等级",
    "levels": "审核级数",
    "limit": "每页条数",
    "long_term": "长期订阅",
    "longitude": "经度",
    "month": "月份",
    "name": "名称",
    "new_password": "新密码",
    "nonce": "扫码编号",
    "occupation": "工种",
    "occupations": "工种",
    "offset": "起始位置",
    "organisation": "组织管理",
    "out_seq_no": "核验流水号",
    "passed": "考核结果",
    "password": "密码",
    "payee": "收款方",
    "payee_kind": "收款方类型",
    "payload": "二维码内容",
    "payment_ref": "拨付凭证号",
    "phone": "联系电话",
    "project_type": "培训项目",
    "project_types": "培训项目",
    "q": "姓名",
    "quantity": "数量",
    "radius_m": "签到范围半径",
    "ratio_permille": "补贴比例",
    "reason": "原因",
    "region": "地区",
    "report_id": "报告编号",
    "required_hours": "要求学时",
    "requires_eligibility_list": "人员类别认定",
    "result": "结果",
    "results": "订阅结果",
    "role": "角色",
    "scanned_at": "扫码时间",
    "scans": "离线扫码记录",
    "secret": "签名密钥",
    "since": "同步位置",
    "site_ids": "教学点",
    "sort": "排序方式",
    "standard_fen": "补贴标准",
    "start_date": "开始日期",
    "start_from": "开班日期起",
    "start_to": "开班日期止",
    "starts_at": "开始时间",
    "status": "状态",
    "subject_id": "对象编号",
    "subject_kind": "对象类型",
    "suspended": "暂停状态",
    "tags": "评价标签",
    "teaching": "教学质量",
    "title": "名称",
    "unit": "章节",
    "url": "网址",
    "usable_regions": "可用地区",
    "use_target": "用券目标",
    "usefulness": "实用程度",
    "username": "用户名",
    "valid_days": "有效天数",
    "valid_until_date": "有效期截止日期",
    "validity_mode": "有效期方式",
    "value_mode": "券面类型",
    "voucher": "培训券号",
    "voucher_code": "培训券号",
    "voucher_type": "培训券类型",
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
    if kind == "too_short":
        least = ctx.get("min_length")
        return "至少选择一项" if least in (None, 1) else f"至少{least}项"
    if kind == "too_long":
        return f"最多{ctx.get('max_length')}项"
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
    if kind in ("json_invalid", "json_type"):
        return "提交的内容不是有效的JSON"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "格式不正确"  # valid JSON of the wrong shape (a list where a form is expected)
    if kind in ("string_type", "list_type"):
        return "类型不正确"
    if kind == "value_error":
        # Our own validators raise ValueError with a Chinese message.
        text = str(ctx.get("error", "")) or error.get("msg", "")
        return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "不符合要求"
    return "不符合要求"


def problem(error: dict[str, Any]) -> dict[str, str]:
    field = ".".join(str(p) for p in error["loc"]) or "(body)"
    label = field_label(error["loc"])
    if not label and error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        label = "提交的内容"
    return {"field": field, "type": error["type"], "message": f"{label}{reason(error)}"}


def summary(problems: list[dict[str, str]]) -> str:
    """One line for the page: every problem, in the form's words."""
    seen: list[str] = []
    for p in problems:
        if p["message"] not in seen:
            seen.append(p["message"])
    return "输入内容不符合要求：" + "；".join(seen[:5]) + ("……" if len(seen) > 5 else "")
