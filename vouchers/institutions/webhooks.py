"""An institution's webhook: set by its commissioner, read by the worker that delivers notices."""

from __future__ import annotations

from urllib.parse import urlsplit

from infra.addresses import is_inside_host
from models import InstitutionWebhook, Staff
from vouchers.common import errors
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.institutions.staff_auth import ensure_commissioner

_CONTEXT = b"webhook"
MIN_SECRET = 16


async def set_webhook(
    keys: PersonalDataKeys, actor: Staff, url: str, secret: str, *, allow_private: bool = False
) -> InstitutionWebhook:
    """`allow_private`: the operator lets webhooks reach loopback and private addresses
    (development, tests). Names are checked again after resolving, at every delivery."""
    ensure_commissioner(actor)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise errors.InvalidInput("回调地址必须是 http(s) 网址", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidInput("回调地址必须是 http(s) 网址", field="url")
    if not allow_private and is_inside_host(parts.hostname):
        raise errors.WebhookAddressRefused(field="url")
    if len(secret) < MIN_SECRET:
        raise errors.InvalidInput(f"签名密钥至少{MIN_SECRET}位", field="secret")
    hook, _ = await InstitutionWebhook.update_or_create(
        institution_id=actor.institution_id, defaults={"url": url, "secret_cipher": keys.encrypt(secret, _CONTEXT)}
    )
    return hook


async def remove_webhook(actor: Staff) -> None:
    ensure_commissioner(actor)
    await InstitutionWebhook.filter(institution_id=actor.institution_id).delete()


async def webhook_for(keys: PersonalDataKeys, institution_id: int) -> tuple[str, str] | None:
    hook = await InstitutionWebhook.get_or_none(institution_id=institution_id)
    if hook is None:
        return None
    return hook.url, keys.decrypt(hook.secret_cipher, _CONTEXT)
