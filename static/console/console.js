// Bureau console: batches, roster import with progress, settlement review, statistics.
// A static shell that talks to /api/v1/admin with the bureau user's token (sessionStorage).
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "pxq.bureau.token";
const ROSTER_CHUNK = 5000; // rows per request: the progress bar moves once per chunk
const PROBLEMS_SHOWN = 100; // refused rows listed, as the server's report; the rest are counted
const STATUS = { draft: "草稿", published: "已发布", closed: "已关闭" };
const CLAIM_STATUS = { pending: "待审核", approved: "已通过", rejected: "已驳回", failed: "考核未通过" };
const VALUE_MODE = { face_value: "面值券", deduction: "抵用券", checkin_only: "签到专用券" };
const DISTRIBUTION = { general: "通用券", targeted: "定向券" };

function $(id) { return document.getElementById(id); }
function token() { return sessionStorage.getItem(TOKEN_KEY); }
function yuan(fen) { return (fen / 100).toFixed(2); }

async function call(method, path, body, contentType) {
  const headers = {};
  if (token()) headers.Authorization = "Bearer " + token();
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = contentType || "application/json";
    payload = contentType ? body : JSON.stringify(body);
  }
  const response = await fetch(API + path, { method, headers, body: payload });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/admin/login") logout();
  return { status: response.status, data };
}

function notify(text, isError) {
  const box = $("notice");
  box.textContent = text || "";
  box.className = isError ? "error" : "";
}

function failed(result) {
  return (result.data.error && result.data.error.message) || `请求失败（${result.status}）`;
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  tr.appendChild(td);
  return td;
}

function button(td, text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  td.appendChild(b);
  return b;
}

// Confirmation before an action that cannot be undone, in the page's own dialog.
function confirmed(text, okText) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okText;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// A table body, or one row that says what to do when there is nothing yet.
function fillRows(tbody, rows, emptyText) {
  if (rows.length) return tbody.replaceChildren(...rows);
  const tr = document.createElement("tr");
  const td = cell(tr, emptyText);
  td.colSpan = tbody.closest("table").querySelectorAll("thead th").length;
  td.className = "empty";
  tbody.replaceChildren(tr);
}

// --- login and tabs ------------------------------------------------------------------------

// 退出: the server ends every token of this bureau user; then the page forgets it.
async function signOut() {
  await call("POST", "/admin/logout").catch(() => {});
  logout();
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("login").hidden = false;
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const result = await call("POST", "/admin/login", {
    username: form.username.value, password: form.password.value,
  });
  if (result.status !== 200) {
    $("login-error").textContent = failed(result);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, result.data.token);
  sessionStorage.setItem("pxq.bureau.who", `${form.username.value}（地区 ${result.data.region}）`);
  form.password.value = "";
  start();
  // The account was locked since the last login (repeated wrong passwords): tell its owner.
  if (result.data.notices && result.data.notices.length) notify(result.data.notices.join(" "), true);
}

function showTab(name) {
  for (const b of document.querySelectorAll("nav [data-tab]")) {
    b.classList.toggle("current", b.dataset.tab === name);
    $("tab-" + b.dataset.tab).hidden = b.dataset.tab !== name;
  }
  notify("");
  ({ batches: loadBatches, roster: loadRosterBatches, settlement: loadClaims, statistics: loadStatistics })[name]();
}

function start() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").textContent = sessionStorage.getItem("pxq.bureau.who") || "";
  showTab("batches");
}

// --- batches -------------------------------------------------------------------------------

async function loadBatches() {
  const result = await call("GET", "/admin/batches?limit=200");
  if (result.status !== 200) return notify(failed(result), true);
  fillRows($("batch-rows"), result.data.items.map((b) => {
    const tr = document.createElement("tr");
    tr.dataset.batch = b.id;
    cell(tr, b.id);
    cell(tr, b.title);
    const proof = b.requires_eligibility_list ? "·名单认定" : "";
    cell(tr, `${DISTRIBUTION[b.distribution]}·${VALUE_MODE[b.value_mode]}${proof}`);
    cell(tr, b.quantity);
    cell(tr, b.remaining);
    cell(tr, STATUS[b.status] || b.status).className = "status";
    const actions = cell(tr, "");
    if (b.status === "draft") {
      button(actions, "发布", async () => {
        if (await confirmed(`发布批次“${b.title}”？发布后学员即可领取，券面规则不能再修改。`, "发布")) {
          batchAction(b.id, "publish", "已发布");
        }
      });
    }
    if (b.status === "published") {
      button(actions, "关闭", async () => {
        if (await confirmed(`关闭批次“${b.title}”？关闭后不能再领取，也不能重新开放。`, "关闭")) {
          batchAction(b.id, "close", "已关闭");
        }
      });
    }
    return tr;
  }), "还没有批次。请在下方新建批次（先保存为草稿，确认无误后发布）。");
}

async function batchAction(id, action, done) {
  const result = await call("POST", `/admin/batches/${id}/${action}`);
  if (result.status !== 200) return notify(failed(result), true);
  notify(`批次 ${id} ${done}`);
  loadBatches();
}

async function createBatch(event) {
  event.preventDefault();
  const f = event.target;
  const list = (text) => text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  const body = {
    title: f.title.value,
    region: f.region.value,
    value_mode: f.value_mode.value,
    distribution: f.distribution.value,
    project_types: list(f.project_types.value),
    eligible_groups: list(f.eligible_groups.value),
    // "list": the group comes from the bureau's eligibility list, trainees cannot declare one.
    requires_eligibility_list: f.group_proof.value === "list",
    validity_mode: "days_after_claim",
    valid_days: Number(f.valid_days.value),
    quantity: Number(f.quantity.value),
  };
  if (f.occupation.value.trim()) body.occupation = f.occupation.value.trim();
  if (f.value_mode.value === "face_value") body.face_value_fen = Math.round(Number(f.face_value_yuan.value) * 100);
  const result = await call("POST", "/admin/batches", body);
  if (result.status !== 201) return notify(failed(result), true);
  notify(`已保存草稿：批次 ${result.data.id}`);
  f.reset(); // a second click must not save the same batch twice
  loadBatches();
}

// --- roster import -------------------------------------------------------------------------

async function loadRosterBatches() {
  const result = await call("GET", "/admin/batches?status=published&limit=200");
  if (result.status !== 200) return notify(failed(result), true);
  // Targeted batches take a roster (vouchers are issued to it); batches whose groups the bureau
  // proves take an eligibility list (only listed people may claim, as the listed group).
  const options = [];
  for (const b of result.data.items) {
    if (b.distribution === "targeted") options.push(new Option(`${b.id} ${b.title}（定向券名单）`, b.id));
    else if (b.requires_eligibility_list) {
      const option = new Option(`${b.id} ${b.title}（资格名单）`, b.id);
      option.dataset.list = "eligibility";
      options.push(option);
    }
  }
  $("roster-batch").replaceChildren(...options);
}

function decode(buffer) {
  // Excel on Chinese Windows saves GBK; everything else is UTF-8 (with or without BOM).
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer).replace(/^\ufeff/, "");
  } catch (e) {
    return new TextDecoder("gb18030").decode(buffer);
  }
}

function csvRecords(text) {
  // Split into records at line ends outside quotes, keeping each record's text as it is.
  const records = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\n" && !quoted) {
      records.push(text.slice(start, text[i - 1] === "\r" ? i - 1 : i));
      start = i + 1;
    }
  }
  if (start < text.length) records.push(text.slice(start));
  return records;
}

function rosterChunks(text) {
  // -> [{body, contentType, rows}], each a file of its own that the server reads like the whole.
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let data = JSON.parse(trimmed);
    if (!Array.isArray(data)) data = data.rows || [];
    const chunks = [];
    for (let i = 0; i < data.length; i += ROSTER_CHUNK) {
      const rows = data.slice(i, i + ROSTER_CHUNK);
      chunks.push({ body: JSON.stringify(rows), contentType: "application/json", rows: rows.length });
    }
    return chunks;
  }
  const [header, ...records] = csvRecords(text);
  const chunks = [];
  for (let i = 0; i < records.length; i += ROSTER_CHUNK) {
    const rows = records.slice(i, i + ROSTER_CHUNK);
    chunks.push({ body: [header, ...rows].join("\n") + "\n", contentType: "text/csv", rows: rows.length });
  }
  return chunks;
}

async function importRoster(event) {
  event.preventDefault();
  const batchId = $("roster-batch").value;
  const eligibility = $("roster-batch").selectedOptions[0]?.dataset.list === "eligibility";
  const file = $("roster-file").files[0];
  if (!batchId || !file) return notify("请选择批次和名单文件", true);
  let chunks;
  try {
    chunks = rosterChunks(decode(await file.arrayBuffer()));
  } catch (e) {
    return notify("名单文件无法读取：" + e.message, true);
  }
  const total = chunks.reduce((n, c) => n + c.rows, 0);
  const report = { total: 0, created: 0, unchanged: 0, rejected: 0, problems: [], eligibility };
  let listing = true; // the listed rows are the file's first refused rows, so stop at the first cut
  $("roster-progress").hidden = false;
  $("roster-report").hidden = true;
  $("roster-bar").max = Math.max(1, total);
  let done = 0;
  for (const chunk of chunks) {
    $("roster-bar").value = done;
    $("roster-count").textContent = `已处理 ${done} / ${total} 行`;
    const endpoint = eligibility ? "eligibility" : "roster";
    const result = await call("POST", `/admin/batches/${batchId}/${endpoint}`, chunk.body, chunk.contentType);
    if (result.status !== 200) {
      const notARoster = result.data.error && result.data.error.code === "not_a_roster";
      notify(notARoster ? `名单导入失败：${failed(result)}` : `第 ${done + 1} 行起的名单导入失败：${failed(result)}`, true);
      if (done > 0) break; // show what the earlier chunks did
      $("roster-progress").hidden = true;
      return;
    }
    report.total += result.data.total;
    report.created += result.data.created;
    report.unchanged += result.data.unchanged;
    report.rejected += result.data.rejected;
    for (const p of result.data.problems) {
      if (listing && report.problems.length < PROBLEMS_SHOWN) report.problems.push({ ...p, line: p.line + done });
      else listing = false;
    }
    if (result.data.problems_not_shown > 0) listing = false;
    done += chunk.rows;
  }
  $("roster-bar").value = done;
  $("roster-count").textContent = `已处理 ${done} / ${total} 行`;
  showRosterReport(report);
}

function showRosterReport(report) {
  $("roster-report").hidden = false;
  $("roster-summary").textContent =
    `共 ${report.total} 行：${report.eligibility ? "新列入" : "新发放"} ${report.created}，` +
    `已存在 ${report.unchanged}，未通过 ${report.rejected}`;
  $("roster-problems").replaceChildren(...report.problems.map((p) => {
    const tr = document.createElement("tr");
    cell(tr, p.line);
    cell(tr, p.code);
    cell(tr, p.message);
    return tr;
  }));
  const more = report.rejected - report.problems.length;
  $("roster-more").hidden = more === 0;
  $("roster-more").textContent =
    more ? `另有 ${more} 行未通过，未逐行列出（只列出前 ${report.problems.length} 行）。请改正后重新导入，已导入的人员会跳过。` : "";
}

// --- settlement review ---------------------------------------------------------------------

async function loadClaims() {
  const status = $("claim-status").value;
  const result = await call("GET", `/admin/settlement/claims?status=${status}&limit=500`);
  if (result.status !== 200) return notify(failed(result), true);
  const rows = [];
  const classes = new Map();
  for (const c of result.data.items) classes.set(c.class_id, c.class_name);
  if (status === "pending") {
    for (const [classId, className] of classes) {
      const tr = document.createElement("tr");
      tr.className = "class-row";
      const td = cell(tr, `${className}（整班）`);
      td.colSpan = 8;
      button(cell(tr, ""), "整班通过", async () => {
        if (await confirmed(`整班通过“${className}”的全部待审核申请？通过后培训券即结算核销。`, "整班通过")) {
          decide(`/admin/settlement/classes/${classId}/decision`, "approve");
        }
      });
      rows.push(tr);
    }
  }
  for (const c of result.data.items) {
    const tr = document.createElement("tr");
    tr.dataset.claim = c.id;
    cell(tr, c.class_name);
    cell(tr, c.institution);
    cell(tr, `${c.holder_name}（${c.id_number}）`);
    cell(tr, c.voucher_code);
    cell(tr, c.passed ? `${c.certificate_kind} ${c.certificate_number} ${c.certificate_level || ""}` : "考核未通过");
    // Manual check-ins (补签) are counted apart: a reviewer's reason to look closer.
    cell(tr, `${c.attended}/${c.lessons}` + (c.manual_checkins ? `（补签 ${c.manual_checkins}）` : "")).className = "attendance";
    cell(tr, yuan(c.subsidy_fen));
    cell(tr, CLAIM_STATUS[c.status] + (c.reason ? `：${c.reason}` : "")).className = "status";
    const actions = cell(tr, "");
    if (c.status === "pending") {
      button(actions, "通过", async () => {
        if (await confirmed(`通过 ${c.holder_name} 的补贴申请（${yuan(c.subsidy_fen)} 元）？通过后培训券即结算核销。`, "通过")) {
          decide(`/admin/settlement/claims/${c.id}/decision`, "approve");
        }
      });
      const reason = document.createElement("input");
      reason.placeholder = "驳回原因";
      reason.className = "reason";
      actions.appendChild(reason);
      button(actions, "驳回", () => decide(`/admin/settlement/claims/${c.id}/decision`, "reject", reason.value));
    }
    rows.push(tr);
  }
  fillRows($("claim-rows"), rows, status === "pending" ? "没有待审核的补贴申请。机构上传结业考核结果后，申请会出现在这里。" : "没有符合条件的申请。");
}

async function decide(path, decision, reason) {
  const body = { decision };
  if (reason) body.reason = reason;
  const result = await call("POST", path, body);
  if (result.status !== 200) return notify(failed(result), true);
  notify(decision === "approve" ? "已审核通过，培训券已结算核销" : "已驳回");
  loadClaims();
}

// --- statistics ----------------------------------------------------------------------------

function statsQuery() {
  const month = $("stats-month").value;
  return `year=${$("stats-year").value}` + (month ? `&month=${month}` : "");
}

let statsRequest = 0;

async function loadStatistics(event) {
  if (event) event.preventDefault();
  const mine = ++statsRequest;
  const result = await call("GET", "/admin/statistics?" + statsQuery());
  if (mine !== statsRequest) return; // a later query was asked for meanwhile: show only that one
  if (result.status !== 200) return notify(failed(result), true);
  const regions = [result.data.region, ...result.data.children];
  $("stats-rows").replaceChildren(...regions.map((r) => {
    const tr = document.createElement("tr");
    const f = r.figures;
    for (const v of [r.name, f.issued, f.claimed, f.enrolled, f.completed, f.settled, f.expired,
      `${f.checkins}（${f.manual_checkins}）`, yuan(f.subsidy_fen),
      r.issue_target || "—", r.use_target || "—"]) cell(tr, v);
    return tr;
  }));
  const names = regions.map((r) => r.name);
  window.pxqCharts.barChart($("chart-flows"), names, [
    { name: "发放", color: "#c7000b", values: regions.map((r) => r.figures.issued) },
    { name: "用券", color: "#1f6fb2", values: regions.map((r) => r.figures.enrolled) },
    { name: "结算", color: "#118a3a", values: regions.map((r) => r.figures.settled) },
  ]);
  window.pxqCharts.rateChart($("chart-targets"), regions.map((r) => ({
    name: r.name,
    rates: [
      { name: "发券", value: r.issue_rate, color: "#c7000b" },
      { name: "用券", value: r.use_rate, color: "#1f6fb2" },
    ],
  })));
}

async function exportCsv() {
  // The export streams from the server; the browser keeps the file and saves it.
  notify("正在导出……");
  const response = await fetch(`${API}/admin/exports/vouchers.csv?` + statsQuery(), {
    headers: { Authorization: "Bearer " + token() },
  });
  if (!response.ok) return notify("导出失败", true);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `培训券明细-${$("stats-year").value}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  notify("导出完成");
}

// --- wiring --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", login);
  $("logout").addEventListener("click", signOut);
  for (const b of document.querySelectorAll("nav [data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("batch-form").addEventListener("submit", createBatch);
  $("roster-form").addEventListener("submit", importRoster);
  $("claim-status").addEventListener("change", loadClaims);
  $("stats-form").addEventListener("submit", loadStatistics);
  $("export").addEventListener("click", exportCsv);
  $("stats-year").value = new Date().getFullYear();
  for (let m = 1; m <= 12; m++) $("stats-month").appendChild(new Option(`${m}月`, m));
  if (token()) start(); else $("login").hidden = false;
});
