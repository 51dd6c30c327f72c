"""The callback mode is explicit (plaintext, compatible, safe) and a (timestamp, nonce) pair is
accepted once, in every mode and across processes: a captured callback URL cannot carry another
body. The WeChat side is built with wechatpy's WeChatCrypto."""

from __future__ import annotations

import pytest

from bot.callback import PATH
from models import ChannelAccount
from peixunquan.config import ConfigError, load_config
from tests.support.wechat import WechatEnv, event_xml, make_env, text_xml


@pytest.fixture
async def safe(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    """The configured default, as production runs it: safe mode."""
    return await make_env(aiohttp_client, aiohttp_server, config, svc, plaintext_too=False)


def _url_only(query: dict[str, str]) -> dict[str, str]:
    """What is left of a captured safe-mode URL once encrypt_type and msg_signature are dropped:
    signature, timestamp and nonce, which sign nothing of the body."""
    return {k: v for k, v in query.items() if k in ("signature", "timestamp", "nonce")}


async def test_a_replayed_safe_mode_url_with_a_forged_plaintext_body_is_refused(safe: WechatEnv):
    response, captured = await safe.post_encrypted(text_xml(safe.follower("frank"), "签到"))
    assert response.status == 200
    forged = text_xml(safe.follower("mallory"), "我的培训券").encode()
    replay = await safe.client.post(PATH, params=_url_only(captured), data=forged)
    assert replay.status == 403
    # Nothing of the forged message happened: no follower looked up, no account made.
    assert safe.sandbox.calls.count("user_info") == 0
    assert await ChannelAccount.all().count() == 0


async def test_safe_mode_refuses_any_plaintext_message(safe: WechatEnv):
    response = await safe.post_plain(text_xml(safe.follower("mallory"), "我的培训券"))
    assert response.status == 403
    assert safe.sandbox.calls.count("user_info") == 0


@pytest.mark.parametrize("mode", ["compatible", "plaintext"])
async def test_a_nonce_carries_one_body_in_every_mode(aiohttp_client, aiohttp_server, config, svc, mode):
    wechat = await make_env(aiohttp_client, aiohttp_server, config, svc, callback_mode=mode)
    query = wechat.signed_query()
    first = text_xml(wechat.follower("nick"), "签到").encode()
    assert (await wechat.client.post(PATH, params=query, data=first)).status == 200
    forged = event_xml(wechat.follower("mallory"), "subscribe").encode()
    assert (await wechat.client.post(PATH, params=query, data=forged)).status == 403
    # WeChat's own retry (the same URL and body) still gets the first reply.
    retry = await wechat.client.post(PATH, params=query, data=first)
    assert retry.status == 200 and "签到" in await retry.text()


async def test_a_nonce_used_in_one_process_is_refused_in_another(aiohttp_client, aiohttp_server, config, svc):
    one = await make_env(aiohttp_client, aiohttp_server, config, svc)
    other = await make_env(aiohttp_client, aiohttp_server, config, svc)  # another server, same Redis
    query = one.signed_query()
    assert (await one.client.post(PATH, params=query, data=text_xml(one.follower("o"), "签到").encode())).status == 200
    forged = text_xml(one.follower("mallory"), "我的培训券").encode()
    assert (await other.client.post(PATH, params=query, data=forged)).status == 403


def test_the_mode_is_checked_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="callback_mode"):
        load_config(env={"PXQ_WECHAT_OFFICIAL_CALLBACK_MODE": "aes"})
    with pytest.raises(ConfigError, match="encoding_aes_key"):
        load_config(env={"PXQ_WECHAT_OFFICIAL_CALLBACK_MODE": "safe", "PXQ_WECHAT_OFFICIAL_ENCODING_AES_KEY": ""})
    plain = load_config(
        env={"PXQ_WECHAT_OFFICIAL_CALLBACK_MODE": "plaintext", "PXQ_WECHAT_OFFICIAL_ENCODING_AES_KEY": ""}
    )
    assert plain.wechat_official.callback_mode == "plaintext"
    assert load_config(env={}).wechat_official.callback_mode == "safe"
