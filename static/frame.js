// The frame of the institution portal and of the bureau console: one login for every page of
// the tab (the token in sessionStorage), the navigation, 退出, and the helpers the page scripts
// share (window.Portal, also window.Frame). <body data-area="institution|bureau"> says which.
// A page script calls Portal.onReady(fn): fn(me) runs once the user is known to be logged in.
// Elements marked data-requires="permission" are shown only to users who have it.
"use strict";

(() => {
  const API = "/api/v1";
  const AREAS = {
    institution: { prefix: "/institution", token: "pxq.staff.token", me: "pxq.staff.me" },
    bureau: { prefix: "/admin", token: "pxq.bureau.token", me: "pxq.bureau.me" },
  };
  const AREA = AREAS[document.body.dataset.area || "institution"];
  const TOKEN_KEY = AREA.token;
  const ME_KEY = AREA.me;
  const ready = [];

  function $(id) { return document.getElementById(id); }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  // One call to the API. A JSON body unless `contentType` names a raw upload. A 401 means the
  // session ended (退出 elsewhere, expiry, a disabled account): back to the login form.
  async function call(method, path, body, contentType) {
    const headers = {};
    if (token()) headers.Authorization = "Bearer " + token();
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      payload = contentType ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, { method, headers, body: payload });
    } catch (e) {
      return { status: 0, data: { error: { code: "network", message: "网络连接失败，请检查网络后重试" } } };
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && path !== AREA.prefix + "/login") forget();
    return { status: response.status, data };
  }

  // A file from the API (an export): fetched with the token, saved under the server's name.
  async function download(path, fallbackName) {
    const response = await fetch(API + path, { headers: { Authorization: "Bearer " + token() } });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      return { status: response.status, data };
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = match ? decodeURIComponent(match[1]) : fallbackName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    return { status: response.status, data: {} };
  }

  function failed(result) {
    return (result.data && result.data.error && result.data.error.message) || `请求失败（${result.status}）`;
  }

  // The page's status line: green for done, red for a refusal.
  function notify(text, isError) {
    const box = $("notice");
    box.textContent = text || "";
    box.className = isError ? "error" : "ok";
  }

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    tr.appendChild(td);
    return td;
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

  // A table body, or the row that says what to do when there is nothing yet.
  function fill(tbody, rows, emptyText) {
    if (rows.length) {
      tbody.replaceChildren(...rows);
      return;
    }
    const tr = document.createElement("tr");
    const td = cell(tr, "");
    td.colSpan = tbody.closest("table").querySelectorAll("thead th").length || 1;
    td.className = "empty";
    // Kept in view on a phone, where the table scrolls sideways under it.
    const text = document.createElement("div");
    text.textContent = emptyText;
    td.appendChild(text);
    tbody.replaceChildren(tr);
  }

  // Confirmation before an irreversible action, in the page's own dialog.
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

  function yuan(fen) { return (fen / 100).toFixed(2); }

  // Fill a <select> with the institution's classes, the one in ?class=N chosen.
  // -> the classes (empty: the caller says what to do first).
  async function chooseClass(select) {
    const r = await call("GET", "/institution/classes");
    if (r.status !== 200) {
      notify(failed(r), true);
      return [];
    }
    const items = r.data.items;
    select.replaceChildren(...items.map((k) => new Option(`${k.name}（${k.start_date} 至 ${k.end_date}）`, k.id)));
    const wanted = new URLSearchParams(location.search).get("class");
    if (wanted && items.some((k) => String(k.id) === wanted)) select.value = wanted;
    return items;
  }

  function localTime(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
  }

  function me() {
    try { return JSON.parse(sessionStorage.getItem(ME_KEY)) || null; } catch (e) { return null; }
  }

  function forget() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ME_KEY);
    showLogin();
  }

  function showLogin() {
    $("app").hidden = true;
    $("portal-nav").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    $("login").username.focus();
  }

  // A commissioner's pages, or a bureau role's permission.
  function allowed(who, permission) {
    if (permission === "commissioner") return who.role === "commissioner";
    return (who.permissions || []).includes(permission);
  }

  function label(who) {
    const name = who.display_name || who.username;
    if (who.institution_name) {
      return `${who.institution_name} · ${name}（${who.role === "commissioner" ? "机构专员" : "工作人员"}）`;
    }
    return `${who.region_name} · ${name}（${who.role_text}）`;
  }

  async function start() {
    const result = await call("GET", AREA.prefix + "/me");
    if (result.status === 0) {
      // No network: keep the login (a scan desk's queue waits for it), say what to do.
      showLogin();
      $("login-error").textContent = "网络连接失败，请检查网络后刷新页面";
      return;
    }
    if (result.status !== 200) {
      if (result.status !== 401) forget();
      return;
    }
    const who = result.data;
    sessionStorage.setItem(ME_KEY, JSON.stringify(who));
    $("who-name").textContent = label(who);
    for (const el of document.querySelectorAll("[data-requires]")) {
      if (el !== $("app")) el.hidden = !allowed(who, el.dataset.requires);
    }
    $("login").hidden = true;
    $("who").hidden = false;
    $("portal-nav").hidden = false;
    $("app").hidden = false;
    const restricted = $("app").dataset.requires && !allowed(who, $("app").dataset.requires);
    $("not-allowed").hidden = !restricted;
    $("page").hidden = restricted;
    if (restricted) return;
    for (const fn of ready) await fn(who);
  }

  async function login(event) {
    event.preventDefault();
    const form = event.target;
    $("login-error").textContent = "";
    const result = await call("POST", AREA.prefix + "/login", {
      username: form.username.value.trim(), password: form.password.value,
    });
    if (result.status !== 200) {
      $("login-error").textContent = failed(result);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, result.data.token);
    form.reset();
    await start();
    // The account was locked since the last login (repeated wrong passwords): tell its owner.
    if (result.data.notices && result.data.notices.length) notify(result.data.notices.join(" "), true);
  }

  // 退出: the server ends every token of this member, so a token copied from this desk stops
  // working too; then the page forgets it.
  async function signOut() {
    await call("POST", AREA.prefix + "/logout").catch(() => {});
    forget();
  }

  window.Portal = {
    $, call, download, failed, notify, cell, button, fill, confirm, yuan, localTime, me, token, chooseClass, allowed,
    // After the user's own password change: this tab goes on with the fresh token.
    renew(fresh) { sessionStorage.setItem(TOKEN_KEY, fresh); },
    onReady(fn) { ready.push(fn); },
  };
  window.Frame = window.Portal;

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", login);
    $("logout").addEventListener("click", signOut);
    if (token()) start();
    else showLogin();
  });
})();
