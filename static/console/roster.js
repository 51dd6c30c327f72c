// Roster import (名单导入): a targeted batch's roster or an eligibility list, sent in chunks with
// a progress bar; the refused rows listed by their line in the file.
"use strict";

(() => {
const { $, call, failed, notify, cell } = Frame;
const ROSTER_CHUNK = 5000; // rows per request: the progress bar moves once per chunk
const PROBLEMS_SHOWN = 100; // refused rows listed, as the server's report; the rest are counted

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
  if (!options.length) notify("没有可导入名单的批次：定向券批次或须经资格名单认定的批次发布后，才能在这里导入名单。", true);
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


Frame.onReady(async () => {
  $("roster-form").addEventListener("submit", importRoster);
  await loadRosterBatches();
});
})();
