// The trainee's H5 pages: the provincial HR app opens a page with #token=<session token>; the
// token leaves the URL at once and lives in sessionStorage for every H5 page of the tab.
// window.H5 holds what the page scripts share; H5.onReady(fn) runs fn once a token is there.
"use strict";

(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "pxq.session.token";
  const ready = [];

  function $(id) { return document.getElementById(id); }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function takeTokenFromUrl() {
    const match = location.hash.match(/token=([^&]+)/);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  async function call(method, path, body) {
    const headers = { Authorization: "Bearer " + token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return { status: 0, data: { error: { message: "网络连接失败，请检查网络后重试" } }, response: null };
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => ({})) : {};
    if (response.status === 401) say("登录已失效，请从电子社保卡或人社 App 重新进入本页面");
    return { status: response.status, data, response };
  }

  function failed(r) {
    return (r.data && r.data.error && r.data.error.message) || `请求失败（${r.status}）`;
  }

  // The page's red line (a refusal) and green line (done).
  function say(text) { $("message").textContent = text || ""; if (text) $("notice").textContent = ""; }
  function done(text) { $("notice").textContent = text || ""; if (text) $("message").textContent = ""; }

  // A list of cards, or one card that says what to do when there is nothing yet.
  function fill(list, items, emptyText) {
    if (items.length) return list.replaceChildren(...items);
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = emptyText;
    list.replaceChildren(li);
  }

  function card(title, lines) {
    const li = document.createElement("li");
    const h = document.createElement("p");
    h.className = "title";
    h.textContent = title;
    li.appendChild(h);
    for (const line of lines.filter(Boolean)) {
      const p = document.createElement("p");
      p.className = "meta";
      p.textContent = line;
      li.appendChild(p);
    }
    return li;
  }

  function actions(li) {
    const div = document.createElement("div");
    div.className = "actions";
    li.appendChild(div);
    return div;
  }

  function button(parent, text, onClick, kind) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (kind) b.className = kind;
    b.addEventListener("click", onClick);
    parent.appendChild(b);
    return b;
  }

  function confirm(text, okText) {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = okText || "确定";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  // The last day a voucher can be used: valid_until is exclusive.
  function lastDay(validUntil) {
    return new Date(new Date(validUntil) - 1).toLocaleDateString("zh-CN");
  }

  async function unread() {
    const r = await call("GET", "/notices/unread-count");
    if (r.status !== 200) return;
    const n = r.data.unread || 0;
    const badge = $("unread");
    if (!badge) return;
    badge.hidden = n === 0;
    badge.textContent = n > 99 ? "99+" : String(n);
  }

  window.H5 = {
    $, call, failed, say, done, fill, card, actions, button, confirm, lastDay, token, unread,
    forget() { sessionStorage.removeItem(TOKEN_KEY); },
    onReady(fn) { ready.push(fn); },
  };

  document.addEventListener("DOMContentLoaded", async () => {
    takeTokenFromUrl();
    if (!token()) {
      say("请从电子社保卡或人社 App 进入本页面");
      return;
    }
    unread();
    for (const fn of ready) await fn();
  });
})();
