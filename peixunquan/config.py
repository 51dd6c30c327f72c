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

from vouchers.policy import Policy, PolicyRule

DEFAULT_CONFIG_ENV = "PXQ_CONFIG"


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


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite://var/peixunquan.sqlite3"
    pool_max: int = 20


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


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    policy: Policy = field(default_factory=Policy)
    alipay: AlipayConfig = field(default_factory=AlipayConfig)
    secret: bytes = b""


_SECTIONS: dict[str, type] = {
    "server": ServerConfig,
    "database": DatabaseConfig,
    "redis": RedisConfig,
    "security": SecurityConfig,
    "alipay": AlipayConfig,
}


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

    sections = {name: _section(name, cls, raw.get(name, {}), env) for name, cls in _SECTIONS.items()}
    policy = _policy(raw.get("policy", {}), env)
    config = Config(policy=policy, **sections)
    _check(config)
    return config


def load_secret(config: Config) -> Config:
    """Read (or, in development, create) the master secret named by [security]."""
    path = Path(config.security.secret_key_file)
    if not path.exists() and not path.is_symlink():
        if not config.security.generate_missing_secret:
            raise ConfigError("security.secret_key_file", f"{path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex() + "\n", encoding="ascii")
        path.chmod(0o600)
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


def _section(name: str, cls: type, values: Any, env: dict[str, str]) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(name, "must be a table")
    known = {f.name: f for f in fields(cls)}
    for key in values:
        if key not in known:
            raise ConfigError(f"{name}.{key}", "unknown key")
    kwargs: dict[str, Any] = {}
    for key, f in known.items():
        env_name = f"PXQ_{name}_{key}".upper()
        if env_name in env:
            kwargs[key] = _coerce(f"{name}.{key}", f.default, env[env_name], from_env=True)
        elif key in values:
            kwargs[key] = _coerce(f"{name}.{key}", f.default, values[key], from_env=False)
    return cls(**kwargs)


def _coerce(key: str, default: Any, value: Any, *, from_env: bool) -> Any:
    kind = type(default)
    if kind is bool:
        if from_env:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
        elif isinstance(value, bool):
            return value
        raise ConfigError(key, "must be true or false")
    if kind is int:
        if from_env:
            try:
                return int(value)
            except ValueError:
                raise ConfigError(key, "must be an integer") from None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(key, "must be an integer")
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
    return rule


def _check(config: Config) -> None:
    if not 0 < config.server.port < 65536:
        raise ConfigError("server.port", "must be between 1 and 65535")
    public = urlsplit(config.server.public_url)
    if public.scheme not in ("http", "https") or not public.netloc:
        raise ConfigError("server.public_url", "must be an http(s) URL")
    if config.server.max_body_bytes < 1024:
        raise ConfigError("server.max_body_bytes", "must be at least 1024")
    scheme = urlsplit(config.database.url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise ConfigError("database.url", "must start with sqlite:// or postgres://")
    if config.database.pool_max < 1:
        raise ConfigError("database.pool_max", "must be at least 1")
    if urlsplit(config.redis.url).scheme not in ("memory", "redis", "rediss", "unix"):
        raise ConfigError("redis.url", "must be memory:// or redis://host:port/db")
    for key in ("bureau_token_ttl_s", "session_token_ttl_s"):
        if getattr(config.security, key) < 60:
            raise ConfigError(f"security.{key}", "must be at least 60 seconds")
    gateway = urlsplit(config.alipay.gateway_url)
    if gateway.scheme not in ("http", "https") or not gateway.netloc:
        raise ConfigError("alipay.gateway_url", "must be an http(s) URL")
    if not 1 <= config.alipay.timeout_s <= 60:
        raise ConfigError("alipay.timeout_s", "must be between 1 and 60 seconds")
