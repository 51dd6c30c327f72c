"""Alipay open platform: an async client on alipay-sdk-python's models and signing, and a
local sandbox that speaks the same protocol."""
