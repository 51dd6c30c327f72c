// H5 training archive for provincial HR apps: /h5/archive#token=<session token>, as the wallet.
"use strict";

const TOKEN_KEY = "pxq.session.token"; // shared with the H5 wallet
const STATUS = { claimed: "可使用", enrolled: "已报名", completed: "已结业", settled: "已结算", expired: "已过期", voided: "已失效", revoked: "已作废" };

function $(id) { return document.getElementById(id); }

function item(lines) {
  const li = document.createElement("li");
  lines.forEach((text, i) => {
    const p = document.createElement(i === 0 ? "strong" : "div");
    p.textContent = text;
    li.appendChild(p);
  });
  return li;
}

function list(id, entries, empty) {
  $(id).replaceChildren(...(entries.length ? entries : [item([empty])]));
}

async function load() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
  const response = await fetch("/api/v1/archive", {
    headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) },
  });
  const data = await response.json().catch(() => ({}));
  if (response.status !== 200) {
    $("message").textContent = (data.error && data.error.message) || "加载失败";
    return;
  }
  const date = (iso) => new Date(iso).toLocaleDateString("zh-CN");
  $("holder").textContent = `${data.holder_name}（${data.id_number}）`;
  list("certificates", data.certificates.map((c) => item([
    `${c.kind}${c.level ? " · " + c.level : ""}`,
    `编号 ${c.number}${c.occupation ? " · " + c.occupation : ""}`,
    `${c.institution || ""} ${c.class_name || ""} · ${date(c.issued_at)}`,
  ])), "暂无证书");
  list("classes", data.classes.map((c) => item([
    c.class_name,
    `${c.institution} · ${c.project_type}${c.occupation ? " · " + c.occupation : ""}`,
    `${c.start_date} 至 ${c.end_date} · 出勤 ${c.attended}/${c.lessons} 次`,
  ])), "暂无培训经历");
  list("vouchers", data.vouchers.map((v) => item([v.title, `${STATUS[v.status] || v.status} · 券号 ${v.code}`])), "暂无培训券");
}

document.addEventListener("DOMContentLoaded", load);
