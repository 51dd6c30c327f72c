// H5 wallet for provincial HR apps. The app opens /h5/wallet#token=<session token>; the token
// leaves the URL at once and lives in sessionStorage. The QR image refreshes itself shortly
// before the server says it goes stale.
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "pxq.session.token";
const STATUS = { claimed: "可使用", enrolled: "已报名", completed: "已结业", settled: "已结算", expired: "已过期", voided: "已失效", revoked: "已作废" };
let timer = null;
let imageUrl = null;

function $(id) { return document.getElementById(id); }

function takeTokenFromUrl() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
}

async function get(path) {
  const response = await fetch(API + path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) } });
  return response;
}

function fail(text) { $("message").textContent = text; }

async function showList() {
  clearTimeout(timer);
  $("detail").hidden = true;
  $("list").hidden = false;
  const response = await get("/vouchers");
  const data = await response.json().catch(() => ({}));
  if (response.status !== 200) { fail((data.error && data.error.message) || "加载失败"); return; }
  const items = data.items.map((v) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = "#";
    link.textContent = v.title;
    link.dataset.code = v.code;
    link.addEventListener("click", (event) => { event.preventDefault(); showVoucher(v); });
    const info = document.createElement("div");
    info.textContent = `${STATUS[v.status] || v.status} · 有效期至 ${new Date(new Date(v.valid_until) - 1).toLocaleDateString("zh-CN")}`;
    li.append(link, info);
    return li;
  });
  $("vouchers").replaceChildren(...items);
  $("empty").hidden = items.length > 0;
}

async function refreshQr(code) {
  const response = await get(`/vouchers/${code}/qr?format=svg`);
  if (response.status !== 200) {
    const data = await response.json().catch(() => ({}));
    fail((data.error && data.error.message) || "二维码加载失败");
    $("qr").removeAttribute("src");
    return;
  }
  const refreshIn = Number(response.headers.get("X-Qr-Refresh-In") || "10");
  const blob = await response.blob();
  if (imageUrl) URL.revokeObjectURL(imageUrl);
  imageUrl = URL.createObjectURL(blob);
  $("qr").src = imageUrl;
  $("qr").dataset.refreshedAt = String(Date.now());
  $("step").textContent = response.headers.get("X-Qr-Step-Seconds") || "30";
  // Refresh a little before the step ends, never faster than once a second.
  timer = setTimeout(() => refreshQr(code), Math.max(1, refreshIn - 3) * 1000);
}

function showVoucher(v) {
  clearTimeout(timer);
  $("list").hidden = true;
  $("detail").hidden = false;
  $("title").textContent = v.title;
  const money = v.face_value_fen ? `面值 ${(v.face_value_fen / 100).toFixed(0)} 元 · ` : "";
  $("info").textContent = `${money}${STATUS[v.status] || v.status} · 券号 ${v.code}`;
  refreshQr(v.code);
}

document.addEventListener("DOMContentLoaded", () => {
  takeTokenFromUrl();
  $("back").addEventListener("click", (event) => { event.preventDefault(); showList(); });
  if (!sessionStorage.getItem(TOKEN_KEY)) { fail("请从社保卡应用进入本页面"); return; }
  showList();
});
