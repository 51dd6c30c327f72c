"""Who is calling: a platform's signed request checked, or refused with why (each a 401).

In order: the headers are there, the timestamp is within 300 s of the server's clock, the key is
the platform's and not retired, the signature matches, the platform is not suspended, and the
nonce was not seen within the window (Redis SET NX with a TTL). The nonce is taken last, so a
request refused for anything else does not use it up; a request with a reused nonce changes
nothing, whatever it asks.

Keys are read from the database on every request, not cached: a retired key is refused at once by
every server process, and platform requests are few next to scans.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models import Institution, OnlinePlatform, PlatformKey
from vouchers.common import errors
from vouchers.platforms.keys import SECRET_CONTEXT
from vouchers.platforms.signature import NONCE_TTL_S, WINDOW_S, read_request, signed_by
from vouchers.services import Services


@dataclass(frozen=True)
class PlatformCaller:
    platform: OnlinePlatform  # with its institution and the institution's region
    key_id: str

    @property
    def institution(self) -> Institution:
        return self.platform.institution

    @property
    def name(self) -> str:
        return self.platform.institution.name


def nonce_key(platform_id: int, nonce: str) -> str:
    return f"pxq:platform-nonce:{platform_id}:{nonce}"


async def authenticate(
    svc: Services,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> PlatformCaller:
    request = read_request(method, path, query, headers, body)
    moment = time.time() if now is None else now
    if abs(moment - int(request.timestamp)) > WINDOW_S:
        raise errors.PlatformTimestampStale()
    key = await PlatformKey.get_or_none(
        key_id=request.key_id, platform__institution__code=request.platform
    ).select_related("platform__institution__region")
    if key is None:
        raise errors.PlatformKeyUnknown()
    if key.retired_at is not None:
        raise errors.PlatformKeyRetired()
    if not signed_by(svc.keys.decrypt(key.secret_cipher, SECRET_CONTEXT), request):
        raise errors.PlatformSignatureInvalid()
    platform = key.platform
    if platform.institution.suspended_at is not None:
        raise errors.PlatformSuspended()
    if not await svc.redis.set(nonce_key(platform.id, request.nonce), "1", nx=True, ex=NONCE_TTL_S):
        raise errors.PlatformNonceReused()
    return PlatformCaller(platform, key.key_id)
