"""What the Alipay sandbox remembers across restarts (as Alipay would): certifications, pass
templates and passes, messages sent, used auth codes and unsubscribed users. Test switches
(failures to answer with, the log of calls) are not kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Certification:
    outer_order_no: str
    cert_name: str
    cert_no: str
    scanned: bool = False


def snapshot(sandbox: Any) -> dict[str, Any]:
    return {
        "certifications": {cid: asdict(c) for cid, c in sandbox.certifications.items()},
        "templates": sandbox.templates,
        "passes": sandbox.passes,
        "messages": sandbox.messages,
        "used_codes": sorted(sandbox.used_codes),
        "unsubscribed": sorted(sandbox.unsubscribed),
    }


def restore(sandbox: Any, data: dict[str, Any]) -> None:
    sandbox.certifications = {cid: Certification(**c) for cid, c in data.get("certifications", {}).items()}
    sandbox.templates = dict(data.get("templates", {}))
    sandbox.passes = dict(data.get("passes", {}))
    sandbox.messages = list(data.get("messages", []))
    sandbox.used_codes = set(data.get("used_codes", []))
    sandbox.unsubscribed = set(data.get("unsubscribed", []))
