"""Body limits hold for the decoded body while it is read: a 19 KB gzip (or deflate) body that
expands to 19 MB is refused at the limit, before the server has taken the 19 MB in."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from tests.support.factories import auth, bureau, published_batch, regions

BOMB = b'{"code": "' + b"a" * 19_000_000 + b'"}'  # the input: 19 MB of JSON


@pytest.mark.parametrize("path", ["/api/v1/wechat/login", "/alipay/notify"])
@pytest.mark.parametrize(("encoding", "pack"), [("gzip", gzip.compress), ("deflate", zlib.compress)])
async def test_a_small_compressed_body_that_expands_to_19_mb_is_413_without_taking_the_memory(
    client, path, encoding, pack
):
    packed = pack(BOMB, 9)
    assert len(packed) < 20_000  # ~19 KB on the wire
    content_type = "application/json" if path.startswith("/api") else "application/x-www-form-urlencoded"
    tracemalloc.start()
    try:
        response = await client.post(
            path, data=packed, headers={"Content-Type": content_type, "Content-Encoding": encoding}
        )
        body = await response.json()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert "请求内容" in body["error"]["message"]
    assert peak < 4_000_000, f"the server took {peak / 1e6:.1f} MB for a refused body"


async def test_an_upload_keeps_its_larger_limit_when_compressed(client, svc):
    """A gzip roster of a few hundred KB decoded is over the JSON limit but within the upload one."""
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client,
        token,
        distribution="targeted",
        value_mode="deduction",
        face_value_fen=None,
        eligible_groups=["企业职工"],
    )
    rows = "".join(f"张{i % 10},{i:018d}\n" for i in range(20_000))
    raw = ("姓名,身份证号\n" + rows).encode()
    assert len(raw) > 400_000
    response = await client.post(
        f"/api/v1/admin/batches/{batch['id']}/roster",
        data=gzip.compress(raw),
        headers={**auth(token), "Content-Type": "text/csv", "Content-Encoding": "gzip"},
    )
    assert response.status == 200, await response.text()
    report = await response.json()
    assert report["total"] == 20_000  # every row read (and refused: not valid ID numbers)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_corrupt_compressed_body_is_400_not_500(client, encoding):
    response = await client.post(
        "/api/v1/wechat/login",
        data=b"\x1f\x8b\x08\x00 this is not gzip " * 10,
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert response.status == 400, await response.text()
    body = await response.json()
    assert body["error"]["code"] == "unreadable_body"
    assert "无法读取" in body["error"]["message"]
