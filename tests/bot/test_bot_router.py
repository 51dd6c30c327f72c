"""The WeRoBot-style router: by exact text, by event and key prefix, by message type."""

from __future__ import annotations

import pytest

from bot.handlers import bind_staff, checkin_help, consent_popup, help_menu, my_vouchers, router, welcome
from bot.inbound import BadMessage, inbound, parse_xml


def message(**fields: str):
    raw = {"ToUserName": "gh_x", "FromUserName": "o_1", "CreateTime": "1700000000", **fields}
    return inbound(raw)


@pytest.mark.parametrize("text", ["我的培训券", "培训券", "查券", "  查券\n"])
def test_voucher_words_route_to_the_voucher_list(text):
    assert router.resolve(message(MsgType="text", Content=text, MsgId="1")) is my_vouchers


def test_other_texts_and_types():
    assert router.resolve(message(MsgType="text", Content="签到", MsgId="1")) is checkin_help
    assert router.resolve(message(MsgType="text", Content="我的培训券呢", MsgId="1")) is help_menu
    assert router.resolve(message(MsgType="voice", MsgId="2")) is help_menu


def test_events_route_by_name_and_key_prefix():
    assert router.resolve(message(MsgType="event", Event="subscribe")) is welcome
    scan_subscribe = message(MsgType="event", Event="subscribe", EventKey="qrscene_staff:abc")
    assert scan_subscribe.event == "subscribe_scan" and scan_subscribe.event_key == "staff:abc"
    assert router.resolve(scan_subscribe) is bind_staff
    assert router.resolve(message(MsgType="event", Event="subscribe", EventKey="qrscene_42")) is welcome
    assert router.resolve(message(MsgType="event", Event="SCAN", EventKey="staff:abc")) is bind_staff
    assert router.resolve(message(MsgType="event", Event="SCAN", EventKey="42")) is None
    assert router.resolve(message(MsgType="event", Event="subscribe_msg_popup_event")) is consent_popup


def test_dedupe_keys():
    assert message(MsgType="text", Content="x", MsgId="99").dedupe_key == "m:99"
    event = message(MsgType="event", Event="SCAN", EventKey="staff:a")
    assert event.dedupe_key == "e:o_1:1700000000:scan:staff:a"


@pytest.mark.parametrize(
    "fields",
    [
        {"MsgType": "text"},  # no Content
        {"MsgType": "event"},  # no Event
        {"MsgType": "text", "Content": "x", "MsgId": "12a"},
        {"MsgType": "text", "Content": "x", "FromUserName": "o 1"},
        {"MsgType": "text", "Content": "x", "CreateTime": "-1"},
    ],
)
def test_incomplete_messages_are_refused(fields):
    with pytest.raises(BadMessage):
        message(**fields)


def test_parse_refuses_entities_and_other_roots():
    with pytest.raises(BadMessage):
        parse_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><xml><A>&a;</A></xml>')
    with pytest.raises(BadMessage):
        parse_xml(b"<xml>text only</xml>")
