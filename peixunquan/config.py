"""Configuration: TOML file, then `PXQ_<SECTION>_<KEY>` environment overrides, then checks.

Every key has a default so `make run` works with no file at all. A bad value raises
`ConfigError(key, why)`; the CLI prints that one line and exits with status 2.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.files import create_once
from peixunquan.config_limits import limit_problems
from peixunquan.config_wechat import wechat_problems
from peixunquan.redis_url import RedisUrlError, check_redis_url
from vouchers.common.policy import Policy, PolicyRule

DEFAULT_CONFIG_ENV = "PXQ_CONFIG"
MAX_PROCESSES = 64


class ConfigError(Exception):
    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"config error: {key}: {why}")
        self.key = key
        self.why = why


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 65_536
    max_upload_bytes: int = 20 * 1024 * 1024
    # Server processes sharing the port (SO_REUSEPORT); 1 serves in the `serve` process itself.
    processes: int = 1


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite://var/peixunquan.sqlite3"
    pool_max: int = 20
    # A PostgreSQL streaming standby for statistics, exports and the catalogue list; "" for none.
    read_url: str = ""


@dataclass(frozen=True)
class RedisConfig:
    url: str = "memory://"


@dataclass(frozen=True)
class SecurityConfig:
    # A file holding the master secret (64 hex chars). The ID-number HMAC, the AES-GCM key and
    # the token signing key are derived from it, so losing it loses access to stored ID numbers.
    secret_key_file: str = "var/secret.key"
    # Create the file with a random secret when it is missing (development only).
    generate_missing_secret: bool = True
    bureau_token_ttl_s: int = 8 * 3600
    session_token_ttl_s: int = 2 * 3600
    # Failed logins (bureau users, staff): a username is locked for login_lock_s after
    # login_max_failures failures within login_window_s; an address after login_address_max_failures.
    login_max_failures: int = 10
    login_lock_s: int = 900
    login_address_max_failures: int = 100
    login_window_s: int = 900


# The sandbox's own test credentials: with these defaults `make run` talks to the WeChat sandbox
# mounted in the same server (channels/wechat/sandbox.py). Production sets real ones.
SANDBOX_WECHAT_BASE = "http://127.0.0.1:8080/_sandbox/wechat"


@dataclass(frozen=True)
class WechatConfig:
    """[wechat]: the e-social-security-card mini program and the server API base."""

    app_id: str = "wxsandboxminiapp01"
    secret: str = "sandbox-miniapp-secret"
    # https://api.weixin.qq.com in production; a /_sandbox/wechat URL on this server mounts the sandbox.
    api_base: str = SANDBOX_WECHAT_BASE
    timeout_s: int = 5
    # Mini-program page that starts face verification (named in chat-bot replies).
    verify_page: str = "pages/verify/index"
    # Subscribe-message template for voucher notices (issued, revoked, expiring).
    voucher_template_id: str = "sandbox-voucher-notice"
    sandbox_state_file: str = "var/sandbox/wechat.json"  # the mounted sandbox's memory across restarts


@dataclass(frozen=True)
class WechatOfficialConfig:
    """[wechat.official]: the Official Account whose callback is /wechat/official."""

    app_id: str = "wxsandboxofficial01"
    secret: str = "sandbox-official-secret"
    token: str = "peixunquan-sandbox-token"
    encoding_aes_key: str = "c2FuZGJveC1lbmNvZGluZy1hZXMta2V5LTAwMDAwMDA"
    previous_encoding_aes_key: str = ""
    # safe: only encrypted messages (encrypt_type=aes); compatible: encrypted or plaintext;
    # plaintext: no encryption. WeChat's 安全 / 兼容 / 明文 modes: set the same as on mp.weixin.qq.com.
    callback_mode: str = "safe"
    max_skew_s: int = 300
    api_base: str = SANDBOX_WECHAT_BASE
    # Template message to institution staff (enrolments, check-ins).
    staff_template_id: str = "sandbox-staff-notice"
    trainee_template_id: str = "sandbox-trainee-notice"


@dataclass(frozen=True)
class WorkerConfig:
    # Run one worker loop inside the server process too (make run); production runs
    # `peixunquan worker` processes and sets this false.
    embedded: bool = True
    poll_interval_ms: int = 500
    batch_size: int = 100
    lease_s: int = 120
    max_attempts: int = 8
    backoff_base_s: int = 30
    backoff_max_s: int = 3600
    wechat_miniapp_per_s: int = 20
    wechat_official_per_s: int = 20
    alipay_per_s: int = 20
    webhook_per_s: int = 10
    reminder_offsets_days: tuple[int, ...] = (7, 1)
    reminder_hour: int = 9
    sweep_interval_s: int = 300
    # Delivered outbox rows (the notices center, the institutions' notice lists) are kept this
    # long, at least 30 days; on PostgreSQL whole months go, so up to a month longer.
    outbox_retention_days: int = 90

    def rate_per_s(self, channel: str) -> int:
        """0 (no limit) for internal steps such as fanning a notice out to its recipients."""
        return int(getattr(self, f"{channel}_per_s", 0))


@dataclass(frozen=True)
class InstitutionsConfig:
    # Directory of the Ed25519 keys that sign voucher and class QR codes (`<key id>.key`, hex).
    # A key renamed to `<key id>.retired` stops verifying; the newest `.key` signs.
    qr_keys_dir: str = "var/qr-keys"
    # Create a first key when the directory has none (development only).
    generate_missing_qr_key: bool = True
    # A QR code changes every step; a screenshot older than `qr_tolerance_steps` steps is stale.
    qr_step_s: int = 30
    qr_tolerance_steps: int = 1
    # Lifetime of an institution staff member's token, in seconds.
    staff_token_ttl_s: int = 12 * 3600
    # A staff member may annul their own scan for this long.
    annul_window_s: int = 15 * 60
    # Location check-in: accepted within radius + min(reported accuracy, this cap), in metres.
    fence_accuracy_cap_m: int = 100
    # Webhooks may reach loopback/private addresses: development and tests only.
    allow_private_webhooks: bool = False


@dataclass(frozen=True)
class AlipayConfig:
    """[alipay]: the mini program's app and the gateway. A gateway_url on this server under
    /_sandbox/alipay/ mounts the sandbox there and creates development keys under var/alipay/."""

    app_id: str = "2021000000000001"
    app_private_key_path: str = "var/alipay/app_private_key.pem"
    alipay_public_key_path: str = "var/alipay/sandbox_public_key.pem"
    gateway_url: str = "http://127.0.0.1:8080/_sandbox/alipay/gateway.do"
    timeout_s: int = 10
    # Subscribe-message template for voucher notices (keyword1..4: batch, event, date, hint).
    voucher_template_id: str = "sandbox-voucher-notice"
    sandbox_state_file: str = "var/sandbox/alipay.json"  # the mounted sandbox's memory across restarts


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    policy: Policy = field(default_factory=Policy)
    institutions: InstitutionsConfig = field(default_factory=InstitutionsConfig)
    wechat: WechatConfig = field(default_factory=WechatConfig)
    wechat_official: WechatOfficialConfig = field(default_factory=WechatOfficialConfig)
    alipay: AlipayConfig = field(default_factory=AlipayConfig)
    secret: bytes = b""


_SECTIONS: dict[str, type] = {
    "server": ServerConfig,
    "database": DatabaseConfig,
    "redis": RedisConfig,
    "security": SecurityConfig,
    "worker": WorkerConfig,
    "institutions": InstitutionsConfig,
    "wechat": WechatConfig,
    "wechat_official": WechatOfficialConfig,
    "alipay": AlipayConfig,
}
# Sections written as a sub-table of another in TOML: [wechat.official] fills `wechat_official`
# (its environment names stay PXQ_WECHAT_OFFICIAL_<KEY>).
_SUBTABLES: dict[str, tuple[str, str]] = {"wechat_official": ("wechat", "official")}


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    path = path or env.get(DEFAULT_CONFIG_ENV)
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(DEFAULT_CONFIG_ENV, f"file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(DEFAULT_CONFIG_ENV, f"file {path} is not valid TOML: {exc}") from None
    unknown = set(raw) - set(_SECTIONS) - {"policy"}
    if unknown:
        raise ConfigError(sorted(unknown)[0], "unknown section")

    sections = {name: _section(name, cls, _table(raw, name), env) for name, cls in _SECTIONS.items()}
    policy = _policy(raw.get("policy", {}), env)
    config = Config(policy=policy, **sections)
    check(config)
    return config


def load_secret(config: Config) -> Config:
    """Read (or, in development, create) the master secret named by [security]."""
    path = Path(config.security.secret_key_file)
    if not path.exists() and not path.is_symlink():
        if not config.security.generate_missing_secret:
            raise ConfigError("security.secret_key_file", f"{path} does not exist")
        create_once(path, os.urandom(32).hex() + "\n")
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise ConfigError("security.secret_key_file", f"{path} cannot be read: {exc.strerror}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise ConfigError("security.secret_key_file", f"{path} must hold hex digits") from None
    if len(secret) < 32:
        raise ConfigError("security.secret_key_file", "the secret must be at least 32 bytes")
    return Config(**{f.name: getattr(config, f.name) for f in fields(config)} | {"secret": secret})


def _table(raw: dict[str, Any], name: str) -> Any:
    if name in _SUBTABLES:
        parent, child = _SUBTABLES[name]
        table = raw.get(parent, {})
        return table.get(child, {}) if isinstance(table, dict) else {}
    values = raw.get(name, {})
    children = {child for parent, child in _SUBTABLES.values() if parent == name}
    if isinstance(values, dict) and children:
        return {k: v for k, v in values.items() if k not in children}
    return values


def _section(name: str, cls: type, values: Any, env: dict[str, str]) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(name, "must be a table")
    known = {f.name: f for f in fields(cls)}
    label = ".".join(_SUBTABLES.get(name, (name,)))  # as written in the file: wechat.official
    for key in values:
        if key not in known:
            raise ConfigError(f"{label}.{key}", "unknown key")
    kwargs: dict[str, Any] = {}
    for key, f in known.items():
        env_name = f"PXQ_{name}_{key}".upper()
        if env_name in env:
            kwargs[key] = _coerce(f"{label}.{key}", f.default, env[env_name], from_env=True)
        elif key in values:
            kwargs[key] = _coerce(f"{label}.{key}", f.default, values[key], from_env=False)
    return cls(**kwargs)


def _coerce(key: str, default: Any, value: Any, *, from_env: bool) -> Any:
    kind = type(default)
    if kind is tuple:  # of integers: a TOML array, or "7,1" in the environment
        items = value.split(",") if from_env and isinstance(value, str) else value
        try:
            if not isinstance(items, list | tuple):
                raise ValueError
            return tuple(int(i) for i in items if not isinstance(i, bool))
        except (TypeError, ValueError):
            raise ConfigError(key, "must be a list of integers") from None
    if kind is bool:
        if from_env:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
        elif isinstance(value, bool):
            return value
        raise ConfigError(key, "must be true or false")
    if kind is int or kind is float:  # a float: a share such as 0.8, or an integer such as 1
        if from_env:
            try:
                return kind(value)
            except ValueError:
                raise ConfigError(key, "must be a number" if kind is float else "must be an integer") from None
        if isinstance(value, int | kind) and not isinstance(value, bool):
            return kind(value)
        raise ConfigError(key, "must be a number" if kind is float else "must be an integer")
    if not isinstance(value, str):
        raise ConfigError(key, "must be a string")
    return value


def _policy(values: Any, env: dict[str, str]) -> Policy:
    if not isinstance(values, dict):
        raise ConfigError("policy", "must be a table")
    regions = values.get("regions", {})
    if not isinstance(regions, dict):
        raise ConfigError("policy.regions", "must be a table of region codes")
    base = _rule("policy", {k: v for k, v in values.items() if k != "regions"}, env, PolicyRule())
    overrides: dict[str, PolicyRule] = {}
    for code, table in regions.items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            raise ConfigError(f"policy.regions.{code}", "must be a 6-digit region code")
        if not isinstance(table, dict):
            raise ConfigError(f"policy.regions.{code}", "must be a table")
        overrides[code] = _rule(f"policy.regions.{code}", table, {}, base)
    return Policy(default=base, regions=overrides)


def _rule(prefix: str, values: dict[str, Any], env: dict[str, str], base: PolicyRule) -> PolicyRule:
    known = {f.name for f in fields(PolicyRule)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{prefix}.{key}", "unknown key")
        kwargs[key] = _coerce(f"{prefix}.{key}", getattr(base, key), value, from_env=False)
    for key in known:
        env_name = f"PXQ_POLICY_{key}".upper()
        if env and env_name in env:
            kwargs[key] = _coerce(f"policy.{key}", getattr(base, key), env[env_name], from_env=True)
    rule = PolicyRule(**{f.name: getattr(base, f.name) for f in fields(PolicyRule)} | kwargs)
    for key in ("max_uses_per_year", "max_claims_per_voucher_type_per_year"):
        if getattr(rule, key) < 0:
            raise ConfigError(f"{prefix}.{key}", "must be 0 (no limit) or more")
    if not 0 <= rule.min_attendance_share <= 1:
        raise ConfigError(f"{prefix}.min_attendance_share", "must be a share between 0 and 1 (0.8 is 80 %)")
    return rule


def check(config: Config) -> None:
    """The checks `load_config` runs; again after a command-line option changed a key."""
    if not 0 < config.server.port < 65536:
        raise ConfigError("server.port", "must be between 1 and 65535")
    public = urlsplit(config.server.public_url)
    if public.scheme not in ("http", "https") or not public.netloc:
        raise ConfigError("server.public_url", "must be an http(s) URL")
    if not 1 <= config.server.processes <= MAX_PROCESSES:
        raise ConfigError("server.processes", f"must be between 1 and {MAX_PROCESSES}")
    if config.server.max_body_bytes < 1024:
        raise ConfigError("server.max_body_bytes", "must be at least 1024")
    scheme = urlsplit(config.database.url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise ConfigError("database.url", "must start with sqlite:// or postgres://")
    if config.database.pool_max < 1:
        raise ConfigError("database.pool_max", "must be at least 1")
    if config.database.read_url and not (
        urlsplit(config.database.read_url).scheme in ("postgres", "postgresql", "asyncpg")
        and scheme in ("postgres", "postgresql", "asyncpg")
    ):
        raise ConfigError("database.read_url", "must be a postgres:// standby of a PostgreSQL database.url")
    try:
        check_redis_url(config.redis.url)
    except RedisUrlError as exc:
        raise ConfigError("redis.url", str(exc)) from None
    for key, why in limit_problems(config):
        raise ConfigError(key, why)
    for key, why in wechat_problems(config.wechat, config.wechat_official):
        raise ConfigError(key, why)
    gateway = urlsplit(config.alipay.gateway_url)
    if gateway.scheme not in ("http", "https") or not gateway.netloc:
        raise ConfigError("alipay.gateway_url", "must be an http(s) URL")
    if not 1 <= config.alipay.timeout_s <= 60:
        raise ConfigError("alipay.timeout_s", "must be between 1 and 60 seconds")
