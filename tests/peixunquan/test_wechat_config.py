"""[wechat] and [wechat.official]: TOML sub-table, environment overrides, checks, and the
documented example matching the defaults."""

from __future__ import annotations

import tomllib
from dataclasses import fields

import pytest

from peixunquan import PROJECT_ROOT
from peixunquan.config import Config, ConfigError, load_config

EXAMPLE = PROJECT_ROOT / "config.example.toml"


def test_example_documents_every_wechat_key_with_its_default():
    config = load_config(EXAMPLE, env={})
    assert config.wechat == Config().wechat
    assert config.wechat_official == Config().wechat_official
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw["wechat"]) - {"official"} == {f.name for f in fields(Config().wechat)}
    assert set(raw["wechat"]["official"]) == {f.name for f in fields(Config().wechat_official)}


def test_official_sub_table_and_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[wechat]\napp_id = "wxmini"\n[wechat.official]\ntoken = "fromfile"\nmax_skew_s = 60\n')
    config = load_config(path, env={"PXQ_WECHAT_OFFICIAL_TOKEN": "fromenv", "PXQ_WECHAT_SECRET": "s3"})
    assert config.wechat.app_id == "wxmini" and config.wechat.secret == "s3"
    assert config.wechat_official.token == "fromenv" and config.wechat_official.max_skew_s == 60


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[wechat.official]\nencoding_aes_key = "short"\n', "wechat.official.encoding_aes_key"),
        (
            '[wechat.official]\nprevious_encoding_aes_key = "' + "!" * 43 + '"\n',
            "wechat.official.previous_encoding_aes_key",
        ),
        ('[wechat.official]\ntoken = "a b"\n', "wechat.official.token"),
        ("[wechat.official]\nunknown = 1\n", "wechat.official.unknown"),
        ('[wechat]\napi_base = "ftp://x"\n', "wechat.api_base"),
        ("[wechat]\ntimeout_s = 0\n", "wechat.timeout_s"),
        ('[wechat.official]\nmax_skew_s = "soon"\n', "wechat.official.max_skew_s"),
    ],
)
def test_bad_wechat_values_name_the_key(tmp_path, toml, key):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={})
    assert exc.value.key == key
