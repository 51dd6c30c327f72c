"""Institution webhooks: POST JSON, signed so the receiver can check it came from us.

Headers: `X-Pxq-Timestamp` (unix seconds), `X-Pxq-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" under the institution's webhook secret>`, `X-Pxq-Delivery` (the same for
every retry of one message, so a receiver can drop repeats). A 2xx answer is delivered; 408,
429 and 5xx answers and network errors are retried; any other answer is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp

from channels import errors


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookSender:
    def __init__(self, http: aiohttp.ClientSession, timeout_s: float = 10.0) -> None:
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def post(self, url: str, secret: str, payload: dict[str, Any], delivery_key: str) -> str:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Pxq-Timestamp": timestamp,
            "X-Pxq-Signature": signature(secret, timestamp, body),
            "X-Pxq-Delivery": delivery_key,
        }
        try:
            async with self._http.post(url, data=body, headers=headers, timeout=self._timeout) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise errors.Retryable(f"webhook unreachable: {type(exc).__name__}") from exc
        if 200 <= status < 300:
            return delivery_key
        if status in (408, 429) or status >= 500:
            raise errors.Retryable(f"webhook answered {status}", code=status)
        raise errors.BadData(f"webhook answered {status}", code=status)
