// Vouchers (培训券查询与作废): one voucher by its code, its whole history in order (who, when,
// what, before and after), each row checked against its seal; revocation with a reason; the
// daily root hashes to keep elsewhere.
"use strict";

(() => {
  const { $, call, failed, notify, cell, fill, confirm } = Frame;
  const L = window.Labels;
  const DETAIL = {
    reason: "原因", claim_id: "结算申请", batch_id: "批次", lesson_id: "课次", payment_list: "拨付清单", payment_ref: "拨付凭证号",
  };
  let current = null;

  // What the row says besides its status: the institution and class by name (the server reads
  // them from the ids), the reason, the subsidy in yuan, the payment.
  function detailText(h) {
    const detail = h.detail || {};
    const words = Object.entries(h.context || {}).map(([k, v]) => `${k}：${v}`);
    for (const [k, v] of Object.entries(detail)) {
      if (k in DETAIL) words.push(`${DETAIL[k]}：${v}`);
      if (k === "subsidy_fen") words.push(`补贴：${Frame.yuan(v)} 元`);
    }
    return words.join("；");
  }

  async function show(code) {
    const r = await call("GET", `/admin/vouchers/${encodeURIComponent(code)}/history`);
    if (r.status !== 200) {
      $("voucher").hidden = true;
      if (r.status === 404) return notify("没有找到该券号的培训券，请核对券号", true);
      if (r.status === 403) return notify("该培训券不属于您管辖的地区，不能查看", true);
      return notify(failed(r), true);
    }
    notify("");
    current = r.data;
    const v = r.data.voucher;
    $("voucher").hidden = false;
    $("voucher-title").textContent = `${v.code}（${v.status_label}）`;
    $("voucher-facts").textContent = `批次：${v.batch_title} · 持券人：${v.holder_name}（${v.holder_id_number}）`;
    const integrity = $("voucher-integrity");
    integrity.textContent = r.data.intact ? "记录完整：每条记录的校验值都与内容和前一条记录相符。"
      : `记录异常：${r.data.breaks.map((b) => `第 ${b.history_id} 号记录${b.problem}`).join("；")}。请联系系统管理员核查。`;
    integrity.className = r.data.intact ? "ok" : "error";
    fill($("history-rows"), r.data.rows.map((h) => {
      const tr = document.createElement("tr");
      tr.dataset.history = h.id;
      if (h.intact === false) tr.className = "chain-broken";
      cell(tr, Frame.localTime(h.at));
      cell(tr, h.action_label + (h.automatic ? "（自动）" : ""));
      cell(tr, h.actor_name).className = "actor";
      cell(tr, h.from_status_label ? `${h.from_status_label} → ${h.to_status_label}` : h.to_status_label);
      cell(tr, detailText(h)).className = "detail";
      cell(tr, h.intact === null ? "启用校验前的记录" : h.intact ? "相符" : h.problems.join("；")).className = "integrity";
      return tr;
    }), "该券还没有记录。");
    $("revoke-form").hidden = !Frame.allowed(Frame.me(), "vouchers") || ["settled", "written_off", "revoked", "expired", "voided"].includes(v.status);
  }

  async function revoke(event) {
    event.preventDefault();
    const f = event.target;
    const code = current.voucher.code;
    if (!(await confirm(`作废培训券 ${code}？作废后持券人不能再使用，此操作不能撤销。`, "作废"))) return;
    const r = await call("POST", `/admin/vouchers/${code}/revoke`, { reason: f.reason.value.trim() });
    if (r.status !== 200) return notify(failed(r), true);
    f.reset();
    await show(code);
    notify(`培训券 ${code} 已作废`);
  }

  async function roots(event) {
    event.preventDefault();
    const f = event.target;
    const r = await Frame.download(`/admin/history/roots?format=csv&date_from=${f.date_from.value}&date_to=${f.date_to.value}`, "每日校验值.csv");
    if (r.status !== 200) return notify(failed(r), true);
    notify("已导出每日校验值");
  }

  Frame.onReady(() => {
    const today = new Date().toISOString().slice(0, 10);
    $("roots-form").date_from.value = today.slice(0, 8) + "01";
    $("roots-form").date_to.value = today;
    $("voucher-form").addEventListener("submit", (e) => { e.preventDefault(); show(e.target.code.value.trim().toUpperCase()); });
    $("revoke-form").addEventListener("submit", revoke);
    $("roots-form").addEventListener("submit", roots);
    const wanted = new URLSearchParams(location.search).get("code");
    if (wanted) { $("voucher-form").code.value = wanted; show(wanted); }
  });
})();
