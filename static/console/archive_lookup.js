// Archive lookup (档案查询): a person's lifelong training archive by ID number. The number goes
// in a POST body, never in a URL (so no log or history holds it), and the field is cleared after
// the lookup. Administrators see the log of look-ups.
"use strict";

(() => {
  const { $, call, failed, notify, cell, fill } = Frame;
  const L = window.Labels;

  function rows(tbody, items, columns, empty) {
    fill(tbody, items.map((item) => {
      const tr = document.createElement("tr");
      for (const v of columns(item)) cell(tr, v);
      return tr;
    }), empty);
  }

  async function lookup(event) {
    event.preventDefault();
    const f = event.target;
    const r = await call("POST", "/admin/archive/lookup", { id_number: f.id_number.value.trim() });
    f.reset();
    loadLog();
    if (r.status !== 200) {
      $("archive").hidden = true;
      return notify(failed(r), true);
    }
    notify("");
    const a = r.data;
    $("archive").hidden = false;
    $("archive-holder").textContent = `${a.holder_name}（${a.id_number}）`;
    rows($("archive-vouchers"), a.vouchers, (v) => [v.code, v.title, L.VOUCHER_STATUS[v.status] || v.status, Frame.localTime(v.claimed_at)], "没有培训券。");
    rows($("archive-classes"), a.classes, (c) => [c.class_name, c.institution, c.project_type, `${c.start_date} 至 ${c.end_date}`, `${c.attended}/${c.lessons}`], "还没有参加培训。");
    rows($("archive-certificates"), a.certificates, (c) => [c.kind, c.number, c.level || "", c.occupation || "", c.institution || "", Frame.localTime(c.issued_at)], "还没有证书。");
  }

  async function loadLog() {
    if (!Frame.allowed(Frame.me(), "accounts")) return;
    const r = await call("GET", "/admin/archive/lookups?limit=50");
    if (r.status !== 200) return;
    rows($("lookup-rows"), r.data.items, (e) => [Frame.localTime(e.at), e.display_name || e.username, e.id_number, e.shown ? "已显示档案" : "未找到"], "还没有查询记录。");
  }

  Frame.onReady(() => {
    $("lookup-form").addEventListener("submit", lookup);
    loadLog();
  });
})();
