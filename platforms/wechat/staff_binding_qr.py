"""The QR code a staff member scans to receive the institution's notices on the Official
Account: a single-use binding token (vouchers.institutions.staff_binding) as the scene of a
temporary parametric QR code made by WeChat (qrcode/create). WeChat's code encodes a URL; we
draw it ourselves, because the portal's pages load images from their own server only."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from channels.wechat.client import ParametricQr
from models import Staff
from vouchers.common.clock import utcnow
from vouchers.institutions.staff_binding import PORTAL_QR_TTL_S, SCENE_PREFIX, issue_staff_bind_token
from vouchers.qr.codes import png


class QrMaker(Protocol):
    async def create_qrcode(self, scene: str, expire_seconds: int) -> ParametricQr: ...


@dataclass(frozen=True)
class BindingQr:
    image: str  # a data: URL of the PNG
    expires_at: datetime


async def staff_binding_qr(official: QrMaker, staff: Staff) -> BindingQr:
    token = await issue_staff_bind_token(staff.id, ttl_s=PORTAL_QR_TTL_S)
    made = await official.create_qrcode(SCENE_PREFIX + token, PORTAL_QR_TTL_S)
    image = "data:image/png;base64," + base64.b64encode(png(made.url)).decode("ascii")
    return BindingQr(image=image, expires_at=utcnow() + timedelta(seconds=made.expire_seconds))
