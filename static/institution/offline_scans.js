// Offline scanning for the scan console: while the network is up it keeps the QR public keys
// and the revocation list; while it is down it checks a code as the server would (Ed25519
// signature, time step, revoked?), queues the scan with its nonce and real time, and uploads the
// queue when the network returns (POST /api/v1/scans/offline), which judges each scan again.
"use strict";

(() => {
  const KEYS = "pxq.offline.keys";
  const REVOKED = "pxq.offline.revoked";
  const QUEUE = "pxq.offline.queue";
  const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const UNUSABLE = { revoked: "培训券已作废", voided: "培训券已作废", expired: "培训券已过期", settled: "培训券已结算核销" };

  function load(name, fallback) {
    try { return JSON.parse(localStorage.getItem(name)) || fallback; } catch (e) { return fallback; }
  }
  function save(name, value) { localStorage.setItem(name, JSON.stringify(value)); }

  function unb32(text) {
    const out = [];
    let bits = 0;
    let value = 0;
    for (const ch of text) {
      const i = B32.indexOf(ch);
      if (i < 0) throw new Error("not base32");
      value = (value << 5) | i;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out.push((value >> bits) & 255);
        value &= (1 << bits) - 1;
      }
    }
    return new Uint8Array(out);
  }

  function unb64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  // While online: the keys and the revocations since the last cursor.
  async function refresh() {
    const keys = await Portal.call("GET", "/qr/keys");
    if (keys.status === 200) save(KEYS, keys.data);
    const revoked = load(REVOKED, { cursor: 0, codes: {} });
    for (let page = 0; page < 20; page++) {
      const r = await Portal.call("GET", `/qr/revocations?since=${revoked.cursor}&limit=5000`);
      if (r.status !== 200) break;
      for (const item of r.data.items) revoked.codes[item.code] = item.status;
      const done = r.data.cursor === revoked.cursor || r.data.items.length < 5000;
      revoked.cursor = r.data.cursor;
      if (done) break;
    }
    save(REVOKED, revoked);
  }

  // The code checked here as the server checks it: -> { ok, code, message }.
  async function check(payload, action) {
    const text = /^pxq1\./.test(payload) && payload === payload.toLowerCase() ? payload.toUpperCase() : payload;
    const ring = load(KEYS, null);
    if (!ring) return { ok: false, message: "本机还没有核验密钥：请先在联网时打开本页面一次" };
    const cut = text.lastIndexOf(".");
    const signed = text.slice(0, cut);
    const parts = signed.split(".");
    if (cut < 0 || parts.length !== 5 || parts[0] !== "PXQ1" || !/^\d+$/.test(parts[3])) {
      return { ok: false, message: "二维码无效（不是本系统的券码或已被篡改）" };
    }
    const [, kind, code, step, keyId] = parts;
    if (kind === "P" && action === "checkin") return { ok: false, message: "卡包券码不能用于签到，请在小程序中出示动态二维码" };
    if (kind !== "V" && kind !== "P") return { ok: false, message: "这不是培训券二维码" };
    const key = ring.keys.find((k) => k.key_id === keyId);
    if (!key) return { ok: false, message: "二维码无效（不是本系统的券码或已被篡改）" };
    if (window.crypto && crypto.subtle) {
      try {
        const publicKey = await crypto.subtle.importKey("raw", unb64url(key.public_key), { name: "Ed25519" }, false, ["verify"]);
        const good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, unb32(text.slice(cut + 1)), new TextEncoder().encode(signed));
        if (!good) return { ok: false, message: "二维码无效（不是本系统的券码或已被篡改）" };
      } catch (e) {
        return { ok: false, message: "二维码无效（不是本系统的券码或已被篡改）" };
      }
    }
    const now = Math.floor(Date.now() / 1000 / ring.step_s);
    if (kind === "V" && Math.abs(now - Number(step)) > ring.tolerance_steps) {
      return { ok: false, message: "二维码已过期（可能是截图），请让学员刷新后重新出示" };
    }
    const status = load(REVOKED, { codes: {} }).codes[code];
    if (status && UNUSABLE[status]) return { ok: false, code, message: UNUSABLE[status] };
    return { ok: true, code, payload: text };
  }

  function pending() { return load(QUEUE, []); }

  function enqueue(scan) {
    const queue = pending();
    queue.push(scan);
    save(QUEUE, queue);
  }

  // -> the server's answers for the uploaded scans, or null when the network is still down.
  async function upload(device) {
    const queue = pending();
    if (!queue.length) return { items: [], refused: 0 };
    const batch = queue.slice(0, 500);
    const r = await Portal.call("POST", "/scans/offline", { device, scans: batch });
    if (r.status === 0) return null;
    if (r.status !== 200) return { error: Portal.failed(r) };
    const sent = new Set(batch.map((s) => s.nonce));
    save(QUEUE, pending().filter((s) => !sent.has(s.nonce)));
    return r.data;
  }

  window.OfflineScans = { refresh, check, enqueue, pending, upload };
})();
