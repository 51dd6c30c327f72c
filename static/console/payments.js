// Payment lists (拨付清单): gather approved claims into lists per payee, read a list's lines,
// export it as Excel, record the payment (which writes its vouchers off) or cancel a draft.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm, yuan } = Frame;

  async function detail(list) {
    const r = await call("GET", `/admin/payment-lists/${list.id}`);
    if (r.status !== 200) return notify(failed(r), true);
    $("list-detail").hidden = false;
    $("detail-title").textContent = `${r.data.number} · ${r.data.payee_kind_text}：${r.data.payee_name} · ${r.data.line_count} 笔，${yuan(r.data.total_fen)} 元（${r.data.status_text}）`;
    fill($("line-rows"), r.data.lines.map((l) => {
      const tr = document.createElement("tr");
      for (const v of [l.voucher_code, l.holder_name, l.id_number, l.class_name, l.institution, yuan(l.amount_fen)]) cell(tr, v);
      return tr;
    }), "清单中没有记录。");
  }

  function row(list, may) {
    const tr = document.createElement("tr");
    tr.dataset.list = list.number;
    cell(tr, list.number);
    cell(tr, list.region_name);
    cell(tr, `${list.payee_kind_text}：${list.payee_name}`);
    cell(tr, list.line_count);
    cell(tr, yuan(list.total_fen));
    cell(tr, list.status_text).className = "status";
    cell(tr, list.payment_ref || "");
    const actions = cell(tr, "");
    button(actions, "查看", () => detail(list));
    if (may) button(actions, "导出 Excel", async () => {
      const r = await Frame.download(`/admin/payment-lists/${list.id}/export.xlsx`, `拨付清单-${list.number}.xlsx`);
      if (r.status !== 200) notify(failed(r), true);
    });
    if (may && list.status === "drafted") {
      const ref = document.createElement("input");
      ref.placeholder = "拨付凭证号";
      ref.setAttribute("aria-label", `${list.number} 的拨付凭证号`);
      ref.maxLength = 64;
      actions.appendChild(ref);
      button(actions, "登记拨付", async () => {
        if (!ref.value.trim()) return notify("请填写拨付凭证号（银行转账流水号等）", true);
        if (!(await confirm(`确认清单 ${list.number} 的 ${yuan(list.total_fen)} 元已拨付给“${list.payee_name}”？登记后清单内 ${list.line_count} 张培训券即核销，不能撤销。`, "登记拨付"))) return;
        const r = await call("POST", `/admin/payment-lists/${list.id}/paid`, { payment_ref: ref.value.trim() });
        if (r.status !== 200) return notify(failed(r), true);
        notify(`清单 ${list.number} 已登记拨付，培训券已核销`);
        load();
      }, "primary");
      button(actions, "撤销", async () => {
        if (!(await confirm(`撤销清单 ${list.number}？其中的申请可以重新生成清单。`, "撤销"))) return;
        const r = await call("POST", `/admin/payment-lists/${list.id}/cancel`);
        if (r.status !== 200) return notify(failed(r), true);
        notify(`清单 ${list.number} 已撤销`);
        load();
      }, "danger");
    }
    return tr;
  }

  // Only the latest load is drawn, as on the settlement page: the load after a payment (still
  // for 草稿) may answer after the one for the filter chosen next and must not replace it.
  let loads = 0;

  async function load() {
    const mine = ++loads;
    const status = $("list-filters").status.value;
    const r = await call("GET", "/admin/payment-lists?limit=200" + (status ? `&status=${status}` : ""));
    if (mine !== loads) return;
    if (r.status !== 200) return notify(failed(r), true);
    const may = Frame.allowed(Frame.me(), "payments");
    $("list-totals").textContent = `共 ${r.data.total} 份清单，金额合计 ${yuan(r.data.total_fen)} 元`;
    fill($("list-rows"), r.data.items.map((l) => row(l, may)),
      status === "drafted" ? (may ? "没有待拨付的清单。审核通过的补贴申请可以在上方生成拨付清单。" : "没有待拨付的清单。") : "没有符合条件的清单。");
  }

  async function gather(event) {
    event.preventDefault();
    const f = event.target;
    const body = { region: f.region.value };
    if (f.payee_kind.value) body.payee_kind = f.payee_kind.value;
    const r = await call("POST", "/admin/payment-lists", body);
    if (r.status !== 200 && r.status !== 201) return notify(failed(r), true);
    const made = r.data.items;
    notify(made.length ? `已生成 ${made.length} 份拨付清单：${made.map((l) => l.number).join("、")}` : "没有待汇总的已通过申请：审核通过的补贴申请都已在清单中。");
    $("list-filters").status.value = "drafted";
    load();
  }

  Frame.onReady(async () => {
    const regions = await call("GET", "/admin/regions");
    if (regions.status === 200) {
      $("gather-region").replaceChildren(...regions.data.items.map((x) => new Option("　".repeat(x.depth) + x.name, x.code)));
    }
    $("gather-form").addEventListener("submit", gather);
    $("list-filters").addEventListener("change", load);
    await load();
  });
})();
