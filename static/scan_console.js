// Scan console: a scan gun types the QR text and presses Enter. The input keeps the focus so
// the next scan always lands there; every scan gets its own nonce so a retry is harmless.
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "pxq.staff.token";
const ACTIONS = { verify: "验券", enrol: "用券", checkin: "签到" };

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function nonce() {
  // crypto.getRandomValues works on plain http inside a closed network; randomUUID does not.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function call(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token()) headers.Authorization = "Bearer " + token();
  const response = await fetch(API + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/institution/login") { logout(); }
  return { status: response.status, data };
}

function $(id) { return document.getElementById(id); }

function show(kind, title, detail) {
  const box = $("result");
  box.className = "result " + kind;
  $("result-title").textContent = title;
  $("result-detail").textContent = detail || "";
}

function describe(answer) {
  const v = answer.voucher;
  const who = v ? `${v.holder_name}（${v.holder_id_number}）· ${v.title} · 券号 ${v.code}` : "";
  return [answer.message, who].filter(Boolean).join(" — ");
}

function render(answer) {
  if (answer.result === "ok" && !answer.reason) {
    show("ok", `${ACTIONS[answer.action]}成功`, describe(answer));
  } else if (answer.result === "ok") {
    show("warn", answer.message, describe(answer));
  } else {
    show("error", `${ACTIONS[answer.action]}失败：${answer.message}`, describe(answer));
  }
}

async function refreshRecent() {
  const { status, data } = await call("GET", "/scans?limit=20");
  if (status !== 200) return;
  const rows = data.items.map((a) => {
    const tr = document.createElement("tr");
    const cells = [
      new Date(a.at).toLocaleTimeString("zh-CN"),
      ACTIONS[a.action] || a.action,
      a.annulled ? "已撤销" : a.result === "ok" ? (a.reason ? a.message : "成功") : a.message,
      a.voucher ? a.voucher.holder_name : "",
      a.voucher ? a.voucher.code : "",
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    if (a.result === "ok" && !a.reason && !a.annulled) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "撤销";
      button.addEventListener("click", async () => {
        const r = await call("POST", `/scans/${a.scan_id}/annul`);
        show(r.status === 200 ? "warn" : "error", r.status === 200 ? "已撤销" : r.data.error.message);
        refreshRecent();
        $("payload").focus();
      });
      td.appendChild(button);
    }
    tr.appendChild(td);
    return tr;
  });
  $("recent").replaceChildren(...rows);
}

async function submitScan(event) {
  event.preventDefault();
  const input = $("payload");
  const payload = input.value.trim();
  input.value = "";
  input.focus();
  if (!payload) return;
  const action = document.querySelector("input[name=action]:checked").value;
  const classId = $("class").value;
  if (action !== "verify" && !classId) {
    show("error", "请先选择培训班");
    return;
  }
  const body = { payload, action, nonce: nonce(), scanned_at: new Date().toISOString(), device: deviceName() };
  if (classId) body.class_id = Number(classId);
  show("idle", "核验中……");
  const { status, data } = await call("POST", "/scans", body);
  if (status === 200) render(data);
  else show("error", (data.error && data.error.message) || `请求失败（${status}）`);
  refreshRecent();
}

function deviceName() {
  let name = localStorage.getItem("pxq.device");
  if (!name) {
    name = "console-" + nonce().slice(0, 8);
    localStorage.setItem("pxq.device", name);
  }
  return name;
}

async function loadClasses() {
  const { status, data } = await call("GET", "/institution/classes");
  if (status !== 200) return;
  const select = $("class");
  for (const c of data.items) {
    const option = document.createElement("option");
    option.value = c.id;
    option.textContent = `${c.name}（${c.enrolled}/${c.capacity}）`;
    select.appendChild(option);
  }
}

// 退出: the server ends every token of this staff member, so a token copied from this desk
// stops working too; then the page forgets it.
async function signOut() {
  await call("POST", "/institution/logout").catch(() => {});
  logout();
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("console").hidden = true;
  $("login").hidden = false;
}

async function start() {
  $("login").hidden = true;
  $("console").hidden = false;
  $("who").textContent = sessionStorage.getItem("pxq.staff.name") || "";
  await loadClasses();
  await refreshRecent();
  $("payload").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData($("login"));
    const { status, data } = await call("POST", "/institution/login", {
      username: form.get("username"),
      password: form.get("password"),
    });
    if (status !== 200) {
      $("login-error").textContent = (data.error && data.error.message) || "登录失败";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, data.token);
    sessionStorage.setItem("pxq.staff.name", data.institution_name);
    start();
  });
  $("logout").addEventListener("click", signOut);
  $("scan").addEventListener("submit", submitScan);
  // The scan gun types into whatever has the focus: keep it on the input, except while the
  // user is choosing an action or a class.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("select, input[type=radio], label, button")) $("payload").focus();
  });
  for (const el of document.querySelectorAll("input[name=action], #class")) {
    el.addEventListener("change", () => $("payload").focus());
  }
  $("payload").addEventListener("blur", () => {
    setTimeout(() => {
      const active = document.activeElement;
      if (!$("console").hidden && !(active && active.matches("select, input[type=radio], button"))) {
        $("payload").focus();
      }
    }, 0);
  });
  if (token()) start();
  else logout();
});
