"""POST /alipay/notify: notifications from the Alipay gateway.

The raw body is decoded with the notification's own `charset` (UTF-8 or GBK), verified with
the Alipay public key over every parameter but sign and sign_type, handled once per notify_id
and answered with exactly `success`; anything else gets a 400 and Alipay retries or gives up.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web

from miniapp_api.endpoint import read_body
from peixunquan.appkeys import ALIPAY, CONFIG, SERVICES
from platforms.alipay.notifications import MalformedNotification, handle_notification, kind_of

log = logging.getLogger(__name__)

NOTIFY_PATH = "/alipay/notify"  # the notify_url Alipay posts to (set on every call we make)

CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030"}


class BadNotification(ValueError):
    pass


def parse_notification(raw: bytes) -> tuple[dict[str, str], str]:
    """(parameters, charset). The body is form-encoded ASCII; its `charset` field says how the
    percent-encoded bytes are to be read."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise BadNotification("body is not form-encoded ASCII") from None
    fields = parse_qsl(text, keep_blank_values=True, encoding="latin-1")
    declared = [v for k, v in fields if k == "charset"]
    charset = CHARSETS.get((declared[-1] if declared else "utf-8").strip().lower())
    if charset is None:
        raise BadNotification("unknown charset")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict", strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise BadNotification(f"not {charset} form data") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise BadNotification("a parameter appears twice")
    return params, charset


async def alipay_notify(request: web.Request) -> web.Response:
    raw = await read_body(request, request.app[CONFIG].server.max_body_bytes)
    client = request.app[ALIPAY]
    try:
        params, charset = parse_notification(raw)
        if not client.verify_notification(params, charset):
            raise BadNotification("signature does not verify")
        if params.get("app_id") != client.settings.app_id:
            raise BadNotification("notification for another app")
        fresh = await handle_notification(request.app[SERVICES], params, client.settings.app_id)
    except (BadNotification, MalformedNotification) as exc:
        log.warning("alipay notification refused: %s", exc)
        return web.Response(status=400, text="fail")
    log.info("alipay notification %s", "handled" if fresh else "repeated", extra={"kind": kind_of(params)})
    return web.Response(text="success", content_type="text/plain")


def setup_routes(app: web.Application) -> None:
    app.router.add_post(NOTIFY_PATH, alipay_notify)
