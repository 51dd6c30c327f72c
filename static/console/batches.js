// Batches (批次管理): the list, a batch's live counts, and the complete batch form. Publish and
// close ask first; the form resets after saving so a second click cannot save a second batch.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm, yuan } = Frame;
  const L = window.Labels;
  let regions = [];

  function regionName(code) {
    const r = regions.find((x) => x.code === code);
    return r ? r.name : code;
  }

  function checkboxes(box, name, values, checked) {
    box.replaceChildren(...values.map((v) => {
      const label = document.createElement("label");
      label.className = "inline";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = name;
      input.value = v;
      input.checked = checked.includes(v);
      label.append(input, " " + v);
      return label;
    }));
  }

  function rules(b) {
    const validity = b.validity_mode === "fixed_date" ? `有效期至 ${b.valid_until_date}` : `领取后 ${b.valid_days} 天内有效`;
    const window = [b.claim_start && `领取自 ${Frame.localTime(b.claim_start)}`, b.claim_end && `至 ${Frame.localTime(b.claim_end)}`]
      .filter(Boolean).join(" ");
    return [
      `${L.DISTRIBUTION[b.distribution]} · ${L.VALUE_MODE[b.value_mode]}` + (b.face_value_fen ? `（面值 ${yuan(b.face_value_fen)} 元）` : ""),
      `培训项目：${b.project_types.join("、")}` + (b.occupation ? `（工种：${b.occupation}）` : ""),
      `发放对象：${b.eligible_groups.join("、") || "不限"}` + (b.requires_eligibility_list ? "（须经资格名单认定）" : ""),
      validity, window, b.fund_source && `资金来源：${b.fund_source}`,
    ].filter(Boolean).join("；");
  }

  async function showCounts(b) {
    const r = await call("GET", `/admin/batches/${b.id}/counts`);
    if (r.status !== 200) return notify(failed(r), true);
    const c = r.data;
    $("batch-detail").hidden = false;
    $("batch-detail").dataset.batch = b.id;
    $("detail-title").textContent = `${b.title}（${L.BATCH_STATUS[b.status]}）`;
    $("detail-rules").textContent = rules(b);
    const items = [["总量", c.quantity], ["剩余", c.remaining], ["已发放", c.issued], ["学员自行领取", c.claimed],
      ["已用券", c.used], ["已结算核销", c.written_off], ["已过期", c.expired], ["已作废", c.revoked]];
    $("detail-counts").replaceChildren(...items.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dd.dataset.count = k;
      return [dt, dd];
    }));
    $("detail-refresh").onclick = () => showCounts(b);
  }

  async function act(b, action, done) {
    const r = await call("POST", `/admin/batches/${b.id}/${action}`);
    if (r.status !== 200) return notify(failed(r), true);
    notify(`批次“${b.title}”${done}`);
    load();
  }

  async function load() {
    const r = await call("GET", "/admin/batches?limit=200");
    if (r.status !== 200) return notify(failed(r), true);
    const may = Frame.allowed(Frame.me(), "batches");
    fill($("batch-rows"), r.data.items.map((b) => {
      const tr = document.createElement("tr");
      tr.dataset.batch = b.id;
      cell(tr, b.id);
      cell(tr, b.title);
      cell(tr, b.region_name || regionName(b.region));
      const proof = b.requires_eligibility_list ? "·名单认定" : "";
      cell(tr, `${L.DISTRIBUTION[b.distribution]}·${L.VALUE_MODE[b.value_mode]}${proof}`);
      cell(tr, b.quantity);
      cell(tr, b.remaining);
      cell(tr, L.BATCH_STATUS[b.status] || b.status).className = "status";
      const actions = cell(tr, "");
      button(actions, "查看", () => showCounts(b));
      if (may && b.status === "draft") {
        button(actions, "修改", () => edit(b));
        button(actions, "发布", async () => {
          if (await confirm(`发布批次“${b.title}”？发布后学员即可领取，券面规则不能再修改。`, "发布")) act(b, "publish", "已发布");
        }, "primary");
      }
      if (may && b.status === "published") {
        button(actions, "关闭", async () => {
          if (await confirm(`关闭批次“${b.title}”？关闭后不能再领取，也不能重新开放。`, "关闭")) act(b, "close", "已关闭");
        }, "danger");
      }
      return tr;
    }), may ? "还没有批次。请在下方新建批次（先保存为草稿，确认无误后发布）。" : "还没有批次。批次由批次管理员新建。");
  }

  function localMoment(value) {
    return value ? value + ":00+08:00" : undefined; // the bureau's clock: Asia/Shanghai
  }

  function switchFields(f) {
    $("face-value").hidden = f.value_mode.value !== "face_value";
    $("valid-days").hidden = f.validity_mode.value !== "days_after_claim";
    $("valid-until").hidden = f.validity_mode.value !== "fixed_date";
  }

  // A draft's rules, back in the form to correct (发布前可修改); saving puts them in place.
  function edit(b) {
    const f = $("batch-form");
    resetForm(f);
    f.dataset.editing = b.id;
    $("form-title").textContent = `修改草稿：批次 ${b.id}“${b.title}”`;
    $("form-submit").textContent = "保存修改";
    $("form-cancel").hidden = false;
    f.title.value = b.title;
    f.region.value = b.region;
    f.value_mode.value = b.value_mode;
    f.face_value_yuan.value = b.face_value_fen ? yuan(b.face_value_fen) : "";
    f.distribution.value = b.distribution;
    f.fund_source.value = b.fund_source || "";
    checkboxes($("project-types"), "project_types", L.PROJECT_TYPES, b.project_types);
    checkboxes($("groups"), "eligible_groups", L.GROUPS, b.eligible_groups);
    f.occupation.value = b.occupation || "";
    f.group_proof.value = b.requires_eligibility_list ? "list" : "declared";
    f.claim_start.value = localInput(b.claim_start);
    f.claim_end.value = localInput(b.claim_end);
    f.validity_mode.value = b.validity_mode;
    if (b.valid_days) f.valid_days.value = b.valid_days;
    f.valid_until_date.value = b.valid_until_date || "";
    f.quantity.value = b.quantity;
    switchFields(f);
    f.scrollIntoView();
  }

  // An instant as the datetime-local field shows it, in the bureau's clock (Asia/Shanghai).
  function localInput(iso) {
    if (!iso) return "";
    const shanghai = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    return shanghai.toISOString().slice(0, 16);
  }

  function resetForm(f) {
    f.reset();
    delete f.dataset.editing;
    $("form-title").textContent = "新建批次（先保存为草稿，发布前可修改）";
    $("form-submit").textContent = "保存草稿";
    $("form-cancel").hidden = true;
    checkboxes($("project-types"), "project_types", L.PROJECT_TYPES, ["就业技能培训"]);
    checkboxes($("groups"), "eligible_groups", L.GROUPS, ["失业人员"]);
    switchFields(f);
  }

  async function create(event) {
    event.preventDefault();
    const f = event.target;
    const picked = (name) => [...f.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
    const body = {
      title: f.title.value,
      region: f.region.value,
      value_mode: f.value_mode.value,
      distribution: f.distribution.value,
      project_types: picked("project_types"),
      eligible_groups: picked("eligible_groups"),
      requires_eligibility_list: f.group_proof.value === "list",
      validity_mode: f.validity_mode.value,
      quantity: Number(f.quantity.value),
      fund_source: f.fund_source.value.trim(),
    };
    if (!body.project_types.length) return notify("请至少选择一个培训项目", true);
    if (f.occupation.value.trim()) body.occupation = f.occupation.value.trim();
    if (body.value_mode === "face_value") body.face_value_fen = Math.round(Number(f.face_value_yuan.value) * 100);
    if (body.validity_mode === "fixed_date") body.valid_until_date = f.valid_until_date.value || null;
    else body.valid_days = Number(f.valid_days.value);
    if (f.claim_start.value) body.claim_start = localMoment(f.claim_start.value);
    if (f.claim_end.value) body.claim_end = localMoment(f.claim_end.value);
    const editing = f.dataset.editing;
    const r = await call(editing ? "PUT" : "POST", editing ? `/admin/batches/${editing}` : "/admin/batches", body);
    if (r.status !== (editing ? 200 : 201)) return notify(failed(r), true);
    notify(`${editing ? "已保存修改" : "已保存草稿"}：批次 ${r.data.id}“${r.data.title}”。确认无误后请点“发布”。`);
    resetForm(f);
    load();
  }

  Frame.onReady(async (me) => {
    const f = $("batch-form");
    const r = await call("GET", "/admin/regions");
    regions = r.status === 200 ? r.data.items : [];
    $("batch-region").replaceChildren(...regions.map((x) => new Option("　".repeat(x.depth) + `${x.name}（${x.code}）`, x.code)));
    $("fund-sources").replaceChildren(...L.FUND_SOURCES.map((s) => new Option(s)));
    resetForm(f);
    f.value_mode.addEventListener("change", () => switchFields(f));
    f.validity_mode.addEventListener("change", () => switchFields(f));
    f.addEventListener("submit", create);
    $("form-cancel").addEventListener("click", () => resetForm(f));
    await load();
  });
})();
