"""Session and bureau tokens: one token has exactly one accepted spelling."""

from __future__ import annotations

import base64

import pytest

from tests.support.factories import auth, trainee
from vouchers.common import errors
from vouchers.common.tokens import TokenSigner

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _same_bytes_neighbour(token: str) -> str:
    """The signature's last character with its unused low bits changed: 43 base64 characters hold
    32 bytes, so the last one has 2 bits that a lax decoder ignores."""
    body, _, signature = token.partition(".")
    raw = base64.urlsafe_b64decode(signature + "=")
    for other in ALPHABET:
        candidate = signature[:-1] + other
        if other != signature[-1] and base64.urlsafe_b64decode(candidate + "=") == raw:
            return f"{body}.{candidate}"
    raise AssertionError("no neighbour decodes to the same bytes")


def test_only_the_issued_spelling_of_a_token_verifies():
    signer = TokenSigner(b"k" * 32)
    token = signer.issue("trainee", 7, ttl_s=600)
    assert signer.verify(token, "trainee").subject == 7
    for spelling in (token + "!!", token + "=", _same_bytes_neighbour(token), token.replace(".", ".!", 1)):
        with pytest.raises(errors.Unauthenticated):
            signer.verify(spelling, "trainee")
    assert signer.verify(token, "trainee").subject == 7  # the original still works


async def test_the_api_refuses_another_spelling_of_a_session_token(client, svc):
    _account, token = await trainee(svc)
    assert (await client.get("/api/v1/vouchers", headers=auth(token))).status == 200
    for spelling in (token + "!!", token + "=", _same_bytes_neighbour(token)):
        response = await client.get("/api/v1/vouchers", headers=auth(spelling))
        assert response.status == 401, spelling
        assert (await response.json())["error"]["code"] == "unauthenticated"
