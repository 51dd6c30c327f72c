"""Wiring of the Alipay channel: from [alipay] config to a client (and, in development, the
sandbox mounted on this server).

Sandbox mode is a gateway_url on this server under /_sandbox/alipay/ (the default), the same
rule as the WeChat sandbox: one process, one port, nothing else to start. The sandbox has its
own key pair, so our app is configured with the sandbox's public key exactly as it would be
with Alipay's; missing development keys are created under var/alipay/. Outside sandbox mode a
missing or unusable key file stops start-up with a config error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from channels.alipay import keys
from channels.alipay.client import AlipayClient, AlipaySettings
from channels.alipay.sandbox import PREFIX, SandboxAlipay, sandbox_app
from miniapp_api.alipay_notify import NOTIFY_PATH
from peixunquan.appkeys import ALIPAY, ALIPAY_SANDBOX, HTTP
from peixunquan.config import Config, ConfigError

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_sandbox(config: Config) -> bool:
    url = urlsplit(config.alipay.gateway_url)
    return url.path.startswith(PREFIX + "/") and url.hostname in _LOCAL_HOSTS | {config.server.host}


def own_gateway(config: Config) -> str:
    """The mounted sandbox is always this server's own address, whatever port the configured
    URL names: changing [server] port does not also require changing gateway_url."""
    host = config.server.host if config.server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{config.server.port}{urlsplit(config.alipay.gateway_url).path}"


def alipay_settings(config: Config) -> tuple[AlipaySettings, SandboxAlipay | None]:
    """Reads (or in sandbox mode creates) the keys. Used by the server and the worker."""
    section = config.alipay
    private_path = Path(section.app_private_key_path)
    public_path = Path(section.alipay_public_key_path)
    sandbox = None
    if is_sandbox(config):
        sandbox_private = keys.ensure_key_pair(public_path.with_name("sandbox_private_key.pem"), public_path)
        keys.ensure_key_pair(private_path)
        sandbox = SandboxAlipay(
            app_id=section.app_id,
            app_public_key=keys.public_of(keys.private_key_pkcs1(private_path.read_text(encoding="ascii"))),
            private_key=sandbox_private,
            notify_url=config.server.public_url.rstrip("/") + NOTIFY_PATH,
            state_file=section.sandbox_state_file,
        )
    settings = AlipaySettings(
        app_id=section.app_id,
        gateway_url=own_gateway(config) if sandbox else section.gateway_url,
        app_private_key=_read("alipay.app_private_key_path", private_path, keys.private_key_pkcs1),
        alipay_public_key=_read("alipay.alipay_public_key_path", public_path, keys.public_key_pem),
        timeout_s=section.timeout_s,
    )
    return settings, sandbox


def _read(key: str, path: Path, parse) -> str:
    try:
        return parse(path.read_text(encoding="ascii"))
    except OSError as exc:
        raise ConfigError(key, f"{path} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, keys.InvalidKey) as exc:
        raise ConfigError(key, f"{path}: {exc}") from None


def setup_alipay(app: web.Application, config: Config) -> None:
    settings, sandbox = alipay_settings(config)
    if sandbox is not None:
        app[ALIPAY_SANDBOX] = sandbox
        app.add_subapp(PREFIX, sandbox_app(sandbox))

    async def client(app: web.Application) -> AsyncIterator[None]:
        app[ALIPAY] = AlipayClient(app[HTTP], settings)  # the app's shared session
        yield

    app.cleanup_ctx.append(client)
