"""Institution webhooks: POST JSON, signed so the receiver can check it came from us.

Headers: `X-Pxq-Timestamp` (unix seconds), `X-Pxq-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" under the institution's webhook secret>`, `X-Pxq-Delivery` (the same for
every retry of one message, so a receiver can drop repeats). A 2xx answer is delivered; 408,
429 and 5xx answers and network errors are retried; any other answer is permanent.

The URL is chosen by an institution, so it must not reach inside (loopback, private, metadata
addresses) unless the operator allows it: the host is resolved here, every address checked, and
the connection made to the checked address (the URL's host kept in `Host` and, for https, in
SNI and the certificate check), so a DNS answer that changes between check and connect cannot
turn it inward. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from yarl import URL

from channels import errors
from infra.addresses import is_inside_host, is_public, parse_address

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookSender:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        timeout_s: float = 10.0,
        *,
        allow_private: bool = False,
        resolve: Resolve = resolve_host,
    ) -> None:
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._allow_private = allow_private
        self._resolve = resolve

    async def _pinned(self, url: str) -> tuple[URL, str, str | None]:
        """-> (the URL with the checked address as its host, the Host header, the TLS name)."""
        target = URL(url)
        host, port = target.host or "", target.port or 80
        if not self._allow_private and is_inside_host(host):
            raise errors.BadData("webhook address refused: inside")
        try:
            addresses = await asyncio.wait_for(self._resolve(host, port), self._timeout.total)
        except (OSError, TimeoutError) as exc:
            raise errors.Retryable(f"webhook host not resolved: {type(exc).__name__}") from exc
        checked = [a for a in (parse_address(a) for a in addresses) if a is not None]
        if not checked:
            raise errors.Retryable("webhook host not resolved")
        if not self._allow_private and not all(is_public(a) for a in checked):
            raise errors.BadData("webhook address refused: resolves inside")
        name = f"[{host}]" if ":" in host else host
        authority = name if target.explicit_port is None else f"{name}:{target.explicit_port}"
        return target.with_host(str(checked[0])), authority, host if target.scheme == "https" else None

    async def post(self, url: str, secret: str, payload: dict[str, Any], delivery_key: str) -> str:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Pxq-Timestamp": timestamp,
            "X-Pxq-Signature": signature(secret, timestamp, body),
            "X-Pxq-Delivery": delivery_key,
        }
        pinned, headers["Host"], tls_name = await self._pinned(url)
        try:
            async with self._http.post(
                pinned,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                server_hostname=tls_name,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise errors.Retryable(f"webhook unreachable: {type(exc).__name__}") from exc
        if 200 <= status < 300:
            return delivery_key
        if status in (408, 429) or status >= 500:
            raise errors.Retryable(f"webhook answered {status}", code=status)
        raise errors.BadData(f"webhook answered {status}", code=status)
