// Settlement review (结算审核): the queue filtered by status, institution, batch and class, with
// its count and total; first and second review (the region decides whether a second is needed,
// the server refuses a second review by the first reviewer); class-wide approval.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm, yuan } = Frame;
  const L = window.Labels;

  function query() {
    const params = new URLSearchParams({ limit: "500" });
    for (const name of ["status", "institution_id", "batch_id", "class_id"]) {
      const value = $("claim-filters")[name].value;
      if (value) params.set(name, value);
    }
    return params.toString();
  }

  // The review a claim in this state waits for (its region needs one review or two), and the
  // permission it takes.
  function step(status, levels) {
    if (status === "pending") return { permission: "review_first", verb: levels === 2 ? "初审通过" : "通过" };
    if (status === "first_approved") return { permission: "review_second", verb: "复审通过" };
    return null;
  }

  async function decide(path, decision, reason) {
    const body = { decision };
    if (reason) body.reason = reason;
    const r = await call("POST", path, body);
    if (r.status !== 200) return notify(failed(r), true);
    notify(decision === "approve" ? "已审核通过" : "已驳回");
    load();
  }

  function classRow(classId, className, next) {
    const tr = document.createElement("tr");
    tr.className = "class-row";
    const td = cell(tr, `${className}（整班）`);
    td.colSpan = 7;
    button(cell(tr, ""), `整班${next.verb}`, async () => {
      if (await confirm(`整班${next.verb}“${className}”的全部申请？`, `整班${next.verb}`)) {
        decide(`/admin/settlement/classes/${classId}/decision`, "approve");
      }
    });
    return tr;
  }

  function lines(td, texts) {
    td.replaceChildren(...texts.map((t) => {
      const div = document.createElement("div");
      div.textContent = t;
      return div;
    }));
    return td;
  }

  function claimRow(c, me) {
    const tr = document.createElement("tr");
    tr.dataset.claim = c.id;
    cell(tr, c.class_name);
    cell(tr, c.institution);
    // Holder and voucher in one cell, a line each: the queue fits a desk's screen with its buttons.
    lines(cell(tr, ""), [`${c.holder_name}（${c.id_number}）`, c.voucher_code]).className = "holder";
    const certificate = cell(tr, "");
    if (c.passed) lines(certificate, [`${c.certificate_kind}${c.certificate_level ? " · " + c.certificate_level : ""}`, c.certificate_number]);
    else certificate.textContent = "考核未通过";
    // Manual check-ins (补签) are counted apart: a reviewer's reason to look closer.
    cell(tr, `${c.attended}/${c.lessons}` + (c.manual_checkins ? `（补签 ${c.manual_checkins}）` : "")).className = "attendance";
    cell(tr, yuan(c.subsidy_fen));
    const reviewers = [c.first_reviewer && `初审：${c.first_reviewer.name}`, c.second_reviewer && `复审：${c.second_reviewer.name}`].filter(Boolean);
    const status = (L.CLAIM_STATUS[c.status] || c.status) + (c.reason ? `：${c.reason}` : "") + (reviewers.length ? `（${reviewers.join("，")}）` : "");
    cell(tr, status).className = "status";
    const actions = cell(tr, "");
    actions.className = "actions";
    const next = step(c.status, c.review_levels);
    if (next && Frame.allowed(me, next.permission)) {
      button(actions, next.verb, async () => {
        if (await confirm(`${next.verb} ${c.holder_name} 的补贴申请（${yuan(c.subsidy_fen)} 元）？`, next.verb)) {
          decide(`/admin/settlement/claims/${c.id}/decision`, "approve");
        }
      }, "primary");
      const reason = document.createElement("input");
      reason.placeholder = "驳回原因";
      reason.className = "reason";
      reason.setAttribute("aria-label", "驳回原因");
      actions.appendChild(reason);
      button(actions, "驳回", () => decide(`/admin/settlement/claims/${c.id}/decision`, "reject", reason.value), "danger");
    }
    return tr;
  }

  // Only the latest load is drawn: one started earlier (before a decision, or for the previous
  // filter) may answer last on a slow line and must not put back what the reviewer left.
  let loads = 0;

  async function load() {
    const mine = ++loads;
    const r = await call("GET", "/admin/settlement/claims?" + query());
    if (mine !== loads) return;
    if (r.status !== 200) return notify(failed(r), true);
    const me = Frame.me();
    const items = r.data.items;
    const total = r.data.total ?? items.length;
    const sum = r.data.total_subsidy_fen ?? items.reduce((n, c) => n + c.subsidy_fen, 0);
    $("claim-totals").textContent = `共 ${total} 条，补贴合计 ${yuan(sum)} 元` + (total > items.length ? `（列出前 ${items.length} 条）` : "");
    const rows = [];
    const classes = new Map();
    for (const c of items) classes.set(c.class_id, c.class_name);
    const levels = items.length ? Math.max(...items.map((c) => c.review_levels || 1)) : 1;
    const next = step($("claim-status").value, levels);
    // Fill the class chooser with what the queue holds, keeping the choice.
    const chosen = $("claim-class").value;
    if (!chosen) {
      $("claim-class").replaceChildren(new Option("全部培训班", ""), ...[...classes].map(([id, name]) => new Option(name, id)));
    }
    if (next && Frame.allowed(me, next.permission)) {
      for (const [classId, className] of classes) rows.push(classRow(classId, className, next));
    }
    for (const c of items) rows.push(claimRow(c, me));
    const waiting = $("claim-status").value === "pending" || $("claim-status").value === "first_approved";
    fill($("claim-rows"), rows, waiting ? "没有待审核的补贴申请。机构上传结业考核结果后，申请会出现在这里。" : "没有符合条件的申请。");
  }

  Frame.onReady(async () => {
    const [institutions, batches] = await Promise.all([
      call("GET", "/admin/institutions?limit=200"), call("GET", "/admin/batches?limit=200"),
    ]);
    if (institutions.status === 200) {
      for (const i of institutions.data.items) $("claim-institution").appendChild(new Option(i.name, i.id));
    }
    if (batches.status === 200) {
      for (const b of batches.data.items) $("claim-batch").appendChild(new Option(b.title, b.id));
    }
    // A second reviewer's work waits in 初审通过，待复审: open the queue there.
    const me = Frame.me();
    if (Frame.allowed(me, "review_second") && !Frame.allowed(me, "review_first")) $("claim-status").value = "first_approved";
    $("claim-filters").addEventListener("change", (event) => {
      if (event.target.id !== "claim-class") $("claim-class").value = "";
      load();
    });
    await load();
  });
})();
