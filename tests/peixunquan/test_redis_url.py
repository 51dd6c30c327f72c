"""`[redis] url` in each form an operator may write (docs/redis-ha.md), and a clear error for one
that is malformed, at start-up rather than at the first claim."""

from __future__ import annotations

import pytest

from peixunquan.config import ConfigError, load_config
from peixunquan.redis_url import HaUrl, parse_ha_url


def _load(url: str):
    return load_config(None, env={"PXQ_REDIS_URL": url})


@pytest.mark.parametrize(
    "url",
    [
        "memory://",
        "redis://127.0.0.1:6379/0",
        "rediss://:secret@redis.example:6380/2",
        "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/pxq/0",
        "redis+sentinel://:secret@10.0.0.1:26379/pxq",
        "redis+cluster://10.0.0.1:7000,10.0.0.2:7000",
    ],
)
def test_every_documented_form_is_accepted(url):
    assert _load(url).redis.url == url


def test_a_sentinel_url_names_the_sentinels_service_db_and_passwords():
    parsed = parse_ha_url("redis+sentinel://:p%40ss@10.0.0.1:26379,[::1]:26380/pxq/3?sentinel_password=s")
    assert parsed == HaUrl("redis+sentinel", (("10.0.0.1", 26379), ("::1", 26380)), "p@ss", "pxq", 3, "s")


def test_a_cluster_url_names_its_startup_nodes():
    parsed = parse_ha_url("redis+cluster://:pw@a:7000,b:7001")
    assert parsed == HaUrl("redis+cluster", (("a", 7000), ("b", 7001)), "pw")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://127.0.0.1/0", "must be memory://"),
        ("redis+sentinel://10.0.0.1:26379", "/<service_name>/<db>"),
        ("redis+sentinel://10.0.0.1:26379/pxq/zero", "not a number"),
        ("redis+sentinel://10.0.0.1/pxq/0", "is not host:port"),
        ("redis+sentinel:///pxq/0", "names no host:port"),
        ("redis+cluster://a:7000,b:70000", "is not host:port"),
        ("redis+cluster://a:7000/2", "only db 0"),
        ("redis+cluster://a:7000?sentinel_password=x", "unknown option"),
    ],
)
def test_a_malformed_url_is_refused_at_start_up_saying_why(url, says):
    with pytest.raises(ConfigError) as refused:
        _load(url)
    assert refused.value.key == "redis.url"
    assert says in refused.value.why
