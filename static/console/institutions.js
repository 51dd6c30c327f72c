// Institutions (培训机构): search the registry, see one institution at a glance, register one with
// its commissioner, correct its details or record a new commissioner, suspend and resume it.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm, yuan } = Frame;
  const L = window.Labels;
  const KINDS = ["高职院校", "中职院校", "技工院校", "行业培训机构", "企业培训中心", "民办职业培训学校", "其他"];
  let shown = null; // the institution whose overview is open

  function query() {
    const f = $("search-form");
    const params = new URLSearchParams({ limit: "200" });
    if (f.q.value.trim()) params.set("q", f.q.value.trim());
    if (f.suspended.value) params.set("suspended", f.suspended.value);
    return params.toString();
  }

  async function load() {
    const r = await call("GET", "/admin/institutions?" + query());
    if (r.status !== 200) return notify(failed(r), true);
    const may = Frame.allowed(Frame.me(), "registry");
    fill($("institution-rows"), r.data.items.map((i) => {
      const tr = document.createElement("tr");
      tr.dataset.institution = i.code;
      cell(tr, i.code);
      cell(tr, i.name);
      cell(tr, i.region_name || i.region);
      cell(tr, i.kind);
      cell(tr, i.phone);
      cell(tr, i.commissioner ? `${i.commissioner.name}（${i.commissioner.username}）` : "未设置");
      cell(tr, i.suspended ? `已暂停：${i.suspended_reason || ""}` : "正常").className = "status";
      const actions = cell(tr, "");
      button(actions, "查看", () => overview(i));
      if (may && !i.suspended) {
        const reason = document.createElement("input");
        reason.placeholder = "暂停原因";
        reason.setAttribute("aria-label", `暂停${i.name}的原因`);
        actions.appendChild(reason);
        button(actions, "暂停", async () => {
          if (!reason.value.trim()) return notify("请填写暂停原因", true);
          if (await confirm(`暂停“${i.name}”？该机构的工作人员将立即退出，暂停期间不能登录和扫码。`, "暂停")) {
            const s = await call("POST", `/admin/institutions/${i.id}/suspend`, { reason: reason.value.trim() });
            if (s.status !== 200) return notify(failed(s), true);
            notify(`已暂停“${i.name}”`);
            load();
          }
        }, "danger");
      }
      if (may && i.suspended) {
        button(actions, "恢复", async () => {
          if (await confirm(`恢复“${i.name}”？恢复后该机构的工作人员可以重新登录和扫码。`, "恢复")) {
            const s = await call("POST", `/admin/institutions/${i.id}/resume`);
            if (s.status !== 200) return notify(failed(s), true);
            notify(`已恢复“${i.name}”`);
            load();
          }
        });
      }
      return tr;
    }), $("search-form").q.value.trim() ? "没有找到符合条件的培训机构。" : (may ? "还没有登记培训机构。请在下方登记。" : "还没有登记培训机构。"));
  }

  async function overview(i) {
    const r = await call("GET", `/admin/institutions/${i.id}/overview`);
    if (r.status !== 200) return notify(failed(r), true);
    shown = i;
    const o = r.data;
    $("overview").hidden = false;
    $("overview-title").textContent = `${i.name}（${i.code}）`;
    $("overview-facts").textContent = `${i.region_name} · ${i.kind} · ${i.address} · 电话 ${i.phone}` + (i.suspended ? ` · 已暂停：${i.suspended_reason}` : "");
    const claims = (s) => o.claims[s] || 0;
    const items = [["培训班", o.classes.length], ["在训及已训学员", o.trainees],
      ["待审核申请", claims("pending") + claims("first_approved")], ["已通过申请", claims("approved")],
      ["已驳回申请", claims("rejected")], ["已通过补贴（元）", yuan(o.subsidy_fen.approved || 0)],
      ["学员评价", o.evaluation.count ? `${o.evaluation.score.toFixed(1)} 分（${o.evaluation.count} 条）` : "暂无"]];
    $("overview-counts").replaceChildren(...items.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      return [dt, dd];
    }));
    fill($("overview-classes"), o.classes.map((c) => {
      const tr = document.createElement("tr");
      for (const v of [c.name, c.project_type, c.occupation || "不限", `${c.start_date} 至 ${c.end_date}`, `${c.enrolled}/${c.capacity}`]) cell(tr, v);
      return tr;
    }), "该机构还没有开设培训班。");
    // Reset before the evaluations load: a correction typed meanwhile must survive it.
    $("edit-form").reset();
    $("overview").scrollIntoView();
    await evaluations(i);
  }

  // What its trainees said, per class, and their comments (never who wrote them).
  async function evaluations(i) {
    const r = await call("GET", `/admin/evaluations?institution_id=${i.id}&limit=50`);
    if (r.status !== 200) return;
    const score = (v) => (v === null || v === undefined ? "—" : v.toFixed(1));
    fill($("evaluation-classes"), r.data.classes.map((g) => {
      const tr = document.createElement("tr");
      const s = g.summary;
      for (const v of [g.name, s.count, score(s.teaching), score(s.organisation), score(s.usefulness), score(s.score)]) cell(tr, v);
      return tr;
    }), "该机构还没有学员评价。");
    $("evaluation-comments").replaceChildren(...r.data.comments.filter((c) => c.comment).map((c) => {
      const li = document.createElement("li");
      li.textContent = `${c.class_name}（${c.teaching}/${c.organisation}/${c.usefulness} 分）：${c.comment}`;
      return li;
    }));
  }

  async function edit(event) {
    event.preventDefault();
    const f = event.target;
    const body = {};
    for (const name of ["name", "address", "phone", "kind"]) if (f[name].value.trim()) body[name] = f[name].value.trim();
    if (f.commissioner_name.value.trim() || f.commissioner_id.value.trim()) {
      body.commissioner = { name: f.commissioner_name.value.trim(), id_number: f.commissioner_id.value.trim() };
    }
    if (!Object.keys(body).length) return notify("请填写要修改的项", true);
    const r = await call("PUT", `/admin/institutions/${shown.id}`, body);
    if (r.status !== 200) return notify(failed(r), true);
    notify(body.commissioner ? `已保存。机构专员已变更，原专员的登录已退出。` : "已保存修改");
    f.reset();
    await load();
    overview(r.data);
  }

  async function register(event) {
    event.preventDefault();
    const f = event.target;
    const body = {
      code: f.code.value.trim(), name: f.name.value.trim(), region: f.region.value, address: f.address.value.trim(),
      phone: f.phone.value.trim(), kind: f.kind.value,
      commissioner: { name: f.commissioner_name.value.trim(), id_number: f.commissioner_id.value.trim(),
        username: f.username.value.trim(), password: f.password.value },
    };
    const r = await call("POST", "/admin/institutions", body);
    if (r.status !== 201) return notify(failed(r), true);
    notify(`已登记“${r.data.name}”。请把机构专员的用户名和初始密码告知本人，由其登录机构服务平台。`);
    f.reset();
    load();
  }

  Frame.onReady(async () => {
    const regions = await call("GET", "/admin/regions");
    if (regions.status === 200) {
      $("register-region").replaceChildren(...regions.data.items.map((x) => new Option("　".repeat(x.depth) + x.name, x.code)));
    }
    $("register-kind").replaceChildren(...KINDS.map((k) => new Option(k)));
    for (const k of KINDS) $("edit-form").kind.appendChild(new Option(k));
    $("search-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("register-form").addEventListener("submit", register);
    $("edit-form").addEventListener("submit", edit);
    await load();
  });
})();
