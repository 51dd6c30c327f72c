"""Checks of the [wechat] and [wechat.official] sections (kept apart from config.py for its size).
Returns (key, why) pairs; `config.load_config` turns the first into a ConfigError."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

# WeChat's 明文 / 兼容 / 安全 modes of the Official Account's message callback.
CALLBACK_MODES = ("plaintext", "compatible", "safe")
_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def wechat_problems(wechat: Any, official: Any) -> list[tuple[str, str]]:
    problems = []
    for prefix, section in (("wechat", wechat), ("wechat.official", official)):
        base = urlsplit(section.api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            problems.append((f"{prefix}.api_base", "must be an http(s) URL"))
    if not 1 <= wechat.timeout_s <= 60:
        problems.append(("wechat.timeout_s", "must be between 1 and 60 seconds"))
    if official.callback_mode not in CALLBACK_MODES:
        problems.append(("wechat.official.callback_mode", "must be plaintext, compatible or safe"))
    needs_key = official.callback_mode != "plaintext"
    for key in ("encoding_aes_key", "previous_encoding_aes_key"):
        value = getattr(official, key)
        if (value or (key == "encoding_aes_key" and needs_key)) and not is_aes_key(value):
            problems.append((f"wechat.official.{key}", "must be 43 base64 characters (WeChat EncodingAESKey)"))
    if not (3 <= len(official.token) <= 32 and set(official.token) <= set(_TOKEN_CHARS)):
        problems.append(("wechat.official.token", "must be 3-32 letters, digits or dashes"))
    if official.max_skew_s < 1:
        problems.append(("wechat.official.max_skew_s", "must be at least 1 second"))
    return problems


def is_aes_key(value: str) -> bool:
    if len(value) != 43:
        return False
    try:
        return len(base64.b64decode(value + "=", validate=True)) == 32
    except binascii.Error:
        return False
