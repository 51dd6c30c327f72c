"""The forms `[redis] url` takes (docs/redis-ha.md), parsed once for the config check and the client.

- `memory://`: the in-process fake (one process only).
- `redis://`, `rediss://`, `unix://`: one Redis server, as redis-py reads them.
- `redis+sentinel://[:password@]host:port[,host:port...]/<service>[/<db>][?sentinel_password=...]`:
  the master of `<service>` as the Sentinels name it; the password is the master's and replicas'
  (`sentinel_password` if the Sentinels themselves require one).
- `redis+cluster://[:password@]host:port[,host:port...]`: a Redis Cluster, reached through any of
  the listed nodes (the client learns the rest); a cluster has only db 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SINGLE = ("redis", "rediss", "unix")
SENTINEL = "redis+sentinel"
CLUSTER = "redis+cluster"


class RedisUrlError(ValueError):
    pass


@dataclass(frozen=True)
class HaUrl:
    scheme: str
    hosts: tuple[tuple[str, int], ...]
    password: str | None = None
    service: str | None = None  # Sentinel only
    db: int = 0
    sentinel_password: str | None = None


def parse_ha_url(url: str) -> HaUrl:
    """A `redis+sentinel://` or `redis+cluster://` URL, or RedisUrlError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in (SENTINEL, CLUSTER):
        raise RedisUrlError(f"not a {SENTINEL}:// or {CLUSTER}:// URL")
    # urlsplit reads one host only: the comma-separated list is taken apart here.
    credentials, _, hostlist = parts.netloc.rpartition("@")
    password = unquote(credentials.partition(":")[2]) if credentials else None
    hosts = tuple(_host(h) for h in hostlist.split(",")) if hostlist else ()
    if not hosts:
        raise RedisUrlError("names no host:port")
    query = parse_qs(parts.query)
    unknown = set(query) - {"sentinel_password"}
    if unknown or (query and parts.scheme == CLUSTER):
        raise RedisUrlError(f"unknown option {', '.join(sorted(query))}")
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme == CLUSTER:
        if segments not in ([], ["0"]):
            raise RedisUrlError("a Redis Cluster has only db 0: no path after the hosts")
        return HaUrl(CLUSTER, hosts, password or None)
    if not 1 <= len(segments) <= 2:
        raise RedisUrlError("must end in /<service_name>/<db>")
    db = segments[1] if len(segments) == 2 else "0"
    if not db.isdigit():
        raise RedisUrlError(f"db {db!r} is not a number")
    sentinel_password = query.get("sentinel_password", [None])[0]
    return HaUrl(SENTINEL, hosts, password or None, unquote(segments[0]), int(db), sentinel_password)


def _host(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RedisUrlError(f"{text!r} is not host:port")
    return host.strip("[]"), int(port)


def check_redis_url(url: str) -> None:
    """Raises RedisUrlError unless `url` is one of the forms above."""
    scheme = urlsplit(url).scheme
    if scheme == "memory" or scheme in SINGLE:
        return
    if scheme in (SENTINEL, CLUSTER):
        parse_ha_url(url)
        return
    raise RedisUrlError(
        "must be memory://, redis://host:port/db, redis+sentinel://host:port[,host:port...]/service/db "
        "or redis+cluster://host:port[,host:port...]"
    )
