// Scan console (扫码核验), a page of the institution portal: a scan gun types the QR text and
// presses Enter. The input keeps the focus so the next scan always lands there; every scan gets
// its own nonce so a retry is harmless. Each result is shown in a large box, flashed over the
// whole screen and sounded, for a noisy front desk.
"use strict";

const ACTIONS = { verify: "验券", enrol: "用券", checkin: "签到" };
const CLASS_HINT = { verify: "（验券无需选择培训班）", enrol: "请选择报名的培训班", checkin: "请选择签到的培训班" };
// Only a successful enrolment or check-in can be annulled (vouchers/scanning/annul.py).
const ANNULLABLE = new Set(["enrol", "checkin"]);
const classNames = new Map();
let audio = null;
let offline = !navigator.onLine;
let syncing = false;

function $(id) { return document.getElementById(id); }
function action() { return document.querySelector("input[name=action]:checked").value; }

function nonce() {
  // crypto.getRandomValues works on plain http inside a closed network; randomUUID does not.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A short tone: one high beep for success, two low ones for a refusal. The scan gun's Enter
// is a user gesture, so the browser lets the page play sound from then on.
function beep(kind) {
  try {
    audio = audio || new AudioContext();
    const tones = kind === "ok" ? [[1320, 0, 0.12]] : kind === "warn" ? [[880, 0, 0.15]] : [[330, 0, 0.18], [330, 0.25, 0.18]];
    for (const [frequency, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = frequency;
      osc.type = "square";
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch (e) { /* no sound device: the flash is still there */ }
}

function flash(kind) {
  const el = $("flash");
  el.hidden = false;
  el.className = "";
  void el.offsetWidth; // restart the animation on a second scan of the same kind
  el.className = kind;
}

function show(kind, title, detail, signal) {
  $("result").className = "result " + kind;
  $("result-title").textContent = title;
  $("result-detail").textContent = detail || "";
  if (signal) {
    flash(kind);
    beep(kind);
  }
}

function describe(answer) {
  const v = answer.voucher;
  const who = v ? `${v.holder_name}（${v.holder_id_number}）· ${v.title} · 券号 ${v.code}` : "";
  const klass = answer.class_id && classNames.get(answer.class_id);
  return [klass ? `培训班：${klass}` : "", who].filter(Boolean).join(" — ");
}

function render(answer) {
  const name = ACTIONS[answer.action] || answer.action;
  if (answer.result === "ok" && !answer.reason) show("ok", `${name}成功`, describe(answer), true);
  else if (answer.result === "ok") show("warn", answer.message, describe(answer), true);
  else show("error", `${name}失败：${answer.message}`, describe(answer), true);
}

async function annul(scan) {
  const ok = await Portal.confirm(`撤销这次${ACTIONS[scan.action]}？${scan.action === "enrol" ? "学员的报名将被取消，培训券恢复为未使用。" : "这次签到将被取消。"}`, "撤销");
  if (ok) {
    const r = await Portal.call("POST", `/scans/${scan.scan_id}/annul`);
    if (r.status === 200) show("warn", `已撤销${ACTIONS[scan.action]}`, describe(scan), false);
    else show("error", `撤销失败：${Portal.failed(r)}`, "", true);
    await refreshRecent();
  }
  $("payload").focus();
}

async function refreshRecent() {
  const { status, data } = await Portal.call("GET", "/scans?limit=20");
  if (status !== 200) return;
  const rows = data.items.map((a) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, new Date(a.at).toLocaleTimeString("zh-CN", { hour12: false }));
    Portal.cell(tr, ACTIONS[a.action] || a.action);
    Portal.cell(tr, a.class_name || (a.class_id ? classNames.get(a.class_id) : "") || "—");
    Portal.cell(tr, a.annulled ? "已撤销" : a.result === "ok" ? (a.reason ? a.message : "成功") : a.message);
    Portal.cell(tr, a.voucher ? a.voucher.holder_name : "");
    Portal.cell(tr, a.voucher ? a.voucher.code : "");
    const td = Portal.cell(tr, "");
    if (a.annullable && ANNULLABLE.has(a.action)) Portal.button(td, "撤销", () => annul(a), "danger");
    return tr;
  });
  Portal.fill($("recent"), rows, "还没有扫码记录。请用扫码枪扫描学员出示的培训券二维码。");
}

// A scan gun with Caps Lock on types the code in lower case. Our codes have no lower-case
// letters, so the server reads an all-lower-case code as the code; the console says so too.
function capsLockHint(payload) {
  return /^pxq1\./.test(payload) ? "（扫码枪的大写锁定已开启，已自动识别；建议关闭大写锁定）" : "";
}

async function submitScan(event) {
  event.preventDefault();
  const input = $("payload");
  const payload = input.value.trim();
  input.value = "";
  input.focus();
  if (!payload) return;
  const chosen = action();
  const classId = $("class").value;
  if (chosen !== "verify" && !classId) {
    show("error", `请先选择${chosen === "enrol" ? "报名" : "签到"}的培训班`, "在上方“培训班”中选择后再扫码", true);
    return;
  }
  const body = { payload, action: chosen, nonce: nonce(), scanned_at: new Date().toISOString(), device: deviceName() };
  if (chosen !== "verify") body.class_id = Number(classId);
  if (offline) return scanOffline(body);
  show("idle", "核验中……", "");
  const r = await Portal.call("POST", "/scans", body);
  if (r.status === 0) {
    // The network went down under this scan: it is handled offline, with the same nonce.
    offline = true;
    return scanOffline(body);
  }
  if (r.status === 200) {
    render(r.data);
    const hint = capsLockHint(payload);
    if (hint) $("result-detail").textContent += " " + hint;
  } else {
    show("error", Portal.failed(r), "", true);
  }
  refreshRecent();
}

// --- offline (static/institution/offline_scans.js) ----------------------------------------------

async function scanOffline(body) {
  const name = ACTIONS[body.action];
  if (body.action === "enrol") {
    show("error", "离线时不能用券报名", "报名需联网核对名额和次数，请在网络恢复后重新扫码", true);
    return updateBanner();
  }
  const checked = await OfflineScans.check(body.payload, body.action);
  if (!checked.ok) {
    show("error", `${name}失败：${checked.message}`, checked.code ? `券号 ${checked.code}（离线核验）` : "离线核验", true);
    return updateBanner();
  }
  const queued = { payload: checked.payload, action: body.action, nonce: body.nonce, scanned_at: body.scanned_at };
  if (body.class_id) queued.class_id = body.class_id;
  OfflineScans.enqueue(queued);
  const klass = body.class_id ? `培训班：${classNames.get(body.class_id) || ""} — ` : "";
  show("warn", `${name}已离线记录（待上传）`, `${klass}券号 ${checked.code}；网络恢复后自动上传核对`, true);
  updateBanner();
}

function updateBanner() {
  const waiting = OfflineScans.pending().length;
  const banner = $("offline-banner");
  banner.hidden = !offline && !waiting;
  banner.className = "offline-banner" + (offline ? "" : " syncing");
  banner.textContent = offline
    ? `离线模式：网络已断开。验券和签到在本机核验后暂存，网络恢复后自动上传。待上传 ${waiting} 条`
    : `网络已恢复：正在上传 ${waiting} 条离线扫码……`;
}

const COUNTED = { ok: "已计入", error: "未计入" };

async function syncQueue() {
  if (syncing || offline || !OfflineScans.pending().length) return updateBanner();
  syncing = true;
  try {
    const result = await OfflineScans.upload(deviceName());
    if (result === null) {
      offline = true;
    } else if (result.error) {
      Portal.notify(`离线扫码上传失败：${result.error}`, true);
    } else if (result.items.length) {
      showReport(result);
      refreshRecent();
    }
  } finally {
    syncing = false;
    updateBanner();
  }
}

function showReport(result) {
  $("offline-report").hidden = false;
  $("offline-summary").textContent = `已上传 ${result.items.length} 条离线扫码，其中 ${result.refused} 条未计入${result.refused ? "（见下表原因）" : ""}。`;
  $("offline-summary").className = result.refused ? "error" : "ok";
  Portal.fill($("offline-rows"), result.items.map((a) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, new Date(a.scanned_at).toLocaleTimeString("zh-CN", { hour12: false }));
    Portal.cell(tr, ACTIONS[a.action] || a.action);
    Portal.cell(tr, a.holder_name || "");
    Portal.cell(tr, a.voucher_code || "");
    const td = Portal.cell(tr, `${a.counted ? COUNTED.ok : COUNTED.error}：${a.message}`);
    if (!a.counted) td.className = "refused";
    return tr;
  }), "没有离线扫码。");
}

function deviceName() {
  let name = localStorage.getItem("pxq.device");
  if (!name) {
    name = "console-" + nonce().slice(0, 8);
    localStorage.setItem("pxq.device", name);
  }
  return name;
}

function actionChanged() {
  const chosen = action();
  $("class-hint").textContent = CLASS_HINT[chosen];
  $("class").disabled = chosen === "verify";
  $("payload").focus();
}

async function loadClasses() {
  const { status, data } = await Portal.call("GET", "/institution/classes");
  if (status !== 200) return;
  const select = $("class");
  for (const c of data.items) {
    classNames.set(c.id, c.name);
    const option = document.createElement("option");
    option.value = c.id;
    option.textContent = `${c.name}（已报名 ${c.enrolled}/${c.capacity}）`;
    select.appendChild(option);
  }
}

Portal.onReady(async () => {
  $("scan").addEventListener("submit", submitScan);
  // The scan gun types into whatever has the focus: keep it on the input, except while the
  // user is choosing an action or a class, or answering a dialog.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("select, input, label, button, a, dialog")) $("payload").focus();
  });
  for (const el of document.querySelectorAll("input[name=action]")) el.addEventListener("change", actionChanged);
  $("class").addEventListener("change", () => $("payload").focus());
  $("payload").addEventListener("blur", () => {
    setTimeout(() => {
      const active = document.activeElement;
      const busy = active && active.matches("select, input, button, a") && active !== document.body;
      if (!$("app").hidden && !busy && !$("confirm").open) $("payload").focus();
    }, 0);
  });
  window.addEventListener("offline", () => { offline = true; updateBanner(); });
  window.addEventListener("online", () => {
    offline = false;
    syncQueue();
    OfflineScans.refresh();
  });
  setInterval(() => { if (navigator.onLine) { offline = false; syncQueue(); } }, 10000);
  setInterval(() => { if (!offline) OfflineScans.refresh(); }, 60000);
  actionChanged();
  await loadClasses();
  await refreshRecent();
  await OfflineScans.refresh();
  await syncQueue();
  $("payload").focus();
});
