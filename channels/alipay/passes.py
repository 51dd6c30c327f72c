"""The card-pack (卡包) pass template we register per batch: an e-voucher (`evoucherInfo`) whose
fields are `$name$` placeholders filled per pass instance by `tpl_params`."""

from __future__ import annotations

from typing import Any

# Placeholders every instance fills (see platforms.alipay.card_pack.pass_fields).
FIELDS = ("title", "value", "startDate", "endDate", "qrPayload", "serialNumber", "channelID")


def template_content(merchant: str) -> dict[str, Any]:
    return {
        "logo": "",
        "strip": None,
        "icon": None,
        "content": {
            "evoucherInfo": {
                "title": "$title$",
                "type": "coupon",
                "product": "free",
                "startDate": "$startDate$",
                "endDate": "$endDate$",
                # What the institution's scanner reads from the pass.
                "operation": [
                    {
                        "format": "qrcode",
                        "message": "$qrPayload$",
                        "messageEncoding": "UTF-8",
                        "altText": "$serialNumber$",
                    }
                ],
                "einfo": {
                    "logoText": "$title$",
                    "headFields": [{"key": "value", "label": "面值", "value": "$value$", "type": "text"}],
                    "secondFields": [
                        {"key": "validity", "label": "有效期", "value": "$startDate$ 至 $endDate$", "type": "text"}
                    ],
                },
            },
            "merchant": {"mname": merchant, "mtel": "", "minfo": ""},
            "platform": {"channelID": "$channelID$", "webServiceUrl": ""},
            "style": {"backgroundColor": "RGB(26,150,219)"},
            "fileInfo": {
                "formatVersion": "2",
                "canShare": False,
                "canBuyMore": False,
                "serialNumber": "$serialNumber$",
            },
        },
    }


def render(template: Any, params: dict[str, str]) -> Any:
    """Fill `$name$` placeholders, as the card pack shows a pass (used by the sandbox)."""
    if isinstance(template, dict):
        return {k: render(v, params) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, params) for v in template]
    if isinstance(template, str):
        for name, value in params.items():
            template = template.replace(f"${name}$", value)
    return template
