"""Parse a callback body into an `Inbound` message, refusing anything malformed.

xmltodict (what wechatpy parses with) refuses entities since 1.0.1, which stops XML bombs and
XXE. wechatpy's own message classes are not used: they read no more than the raw fields, and
they parse `subscribe_msg_popup_event` as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

MAX_BODY = 64 * 1024
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadMessage(ValueError):
    """The body is not a WeChat message we can read: answer 400, change nothing."""


def parse_xml(body: bytes) -> dict[str, Any]:
    try:
        doc = xmltodict.parse(body, disable_entities=True)
    except (ExpatError, ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"malformed XML: {type(exc).__name__}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise BadMessage("root element must be <xml> with children")
    return doc["xml"]


@dataclass(frozen=True)
class Inbound:
    to_user: str  # our account (gh_...)
    from_user: str  # the follower's openid
    create_time: int
    msg_type: str  # text, image, event, ...
    event: str  # lower case, "" for messages; "subscribe_scan" for a subscribe through a QR code
    event_key: str  # without the "qrscene_" prefix
    msg_id: str
    content: str
    raw: dict[str, Any]

    @property
    def dedupe_key(self) -> str:
        # Events carry no MsgId: the follower, the time and the event identify a retry.
        if self.msg_id:
            return f"m:{self.msg_id}"
        return f"e:{self.from_user}:{self.create_time}:{self.event}:{self.event_key}"


def _text(raw: dict[str, Any], name: str, required: bool = False, limit: int = 4096) -> str:
    value = raw.get(name)
    if value is None:
        if required:
            raise BadMessage(f"missing {name}")
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise BadMessage(f"bad {name}")
    return value


def inbound(raw: dict[str, Any]) -> Inbound:
    to_user = _text(raw, "ToUserName", True)
    from_user = _text(raw, "FromUserName", True)
    if not (_ID.match(to_user) and _ID.match(from_user)):
        raise BadMessage("bad user name")
    create_time = _text(raw, "CreateTime", True)
    if not create_time.isdigit() or len(create_time) > 12:
        raise BadMessage("bad CreateTime")
    msg_type = _text(raw, "MsgType", True, 32).lower()
    event = _text(raw, "Event", msg_type == "event", 64).lower()
    event_key = _text(raw, "EventKey", limit=256)
    if event == "subscribe" and event_key.startswith("qrscene_"):
        event, event_key = "subscribe_scan", event_key.removeprefix("qrscene_")
    msg_id = (_text(raw, "MsgId", limit=32) or _text(raw, "MsgID", limit=32)) if msg_type != "event" else ""
    if msg_id and not msg_id.isdigit():
        raise BadMessage("bad MsgId")
    return Inbound(
        to_user=to_user,
        from_user=from_user,
        create_time=int(create_time),
        msg_type=msg_type,
        event=event,
        event_key=event_key,
        msg_id=msg_id,
        content=_text(raw, "Content", msg_type == "text", 2048),
        raw=raw,
    )
