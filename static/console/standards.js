// Standards and targets (补贴标准与目标): subsidy standards and group ratios from an effective
// year, yearly issue and use targets per region, and how many reviews settlement needs.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, yuan } = Frame;
  const L = window.Labels;
  let regions = [];
  let targetsAsked = 0;
  // A region of mine, or one above it whose standards apply here too (the server names those).
  const regionName = (code, named) => (regions.find((r) => r.code === code) || { name: named || code }).name;

  async function loadStandards() {
    const r = await call("GET", "/admin/settlement/standards");
    if (r.status !== 200) return notify(failed(r), true);
    const may = Frame.allowed(Frame.me(), "standards");
    fill($("standard-rows"), r.data.standards.map((s) => {
      const tr = document.createElement("tr");
      for (const v of [regionName(s.region, s.region_name), s.project_type, s.occupation || "所有工种", s.level || "所有等级", yuan(s.amount_fen), s.effective_year]) cell(tr, v);
      return tr;
    }), "还没有补贴标准。没有标准时，机构提交的结业考核结果无法计算补贴，" + (may ? "请先在下方设置。" : "请联系本地区的管理员设置。"));
    fill($("ratio-rows"), r.data.ratios.map((x) => {
      const tr = document.createElement("tr");
      for (const v of [regionName(x.region, x.region_name), x.eligible_group, `${x.ratio_permille / 10}%`, x.effective_year]) cell(tr, v);
      return tr;
    }), "还没有设置补贴比例：所有人员类别按 100% 计算。");
  }

  async function saveStandard(event) {
    event.preventDefault();
    const f = event.target;
    const r = await call("PUT", "/admin/settlement/standards", {
      region: f.region.value, project_type: f.project_type.value, occupation: f.occupation.value.trim(),
      level: f.level.value.trim(), amount_fen: Math.round(Number(f.amount_yuan.value) * 100),
      effective_year: Number(f.effective_year.value),
    });
    if (r.status !== 200) return notify(failed(r), true);
    notify(`已保存：${regionName(r.data.region)} ${r.data.project_type} 自 ${r.data.effective_year} 年起 ${yuan(r.data.amount_fen)} 元`);
    f.occupation.value = "";
    f.level.value = "";
    f.amount_yuan.value = "";
    loadStandards();
  }

  async function saveRatio(event) {
    event.preventDefault();
    const f = event.target;
    const r = await call("PUT", "/admin/settlement/ratios", {
      region: f.region.value, eligible_group: f.eligible_group.value,
      ratio_permille: Math.round(Number(f.percent.value) * 10), effective_year: Number(f.effective_year.value),
    });
    if (r.status !== 200) return notify(failed(r), true);
    notify(`已保存：${r.data.eligible_group} 自 ${r.data.effective_year} 年起按 ${r.data.ratio_permille / 10}% 补贴`);
    f.percent.value = "";
    loadStandards();
  }

  async function loadTargets(event) {
    if (event) event.preventDefault();
    const year = Number($("target-year").value);
    const mine = ++targetsAsked;
    const r = await call("GET", `/admin/targets?year=${year}`);
    if (mine !== targetsAsked) return; // a later year was asked for meanwhile: show only that one
    if (r.status !== 200) return notify(failed(r), true);
    $("target-rows").dataset.year = year;
    const set = Object.fromEntries(r.data.items.map((t) => [t.region, t]));
    const may = Frame.allowed(Frame.me(), "standards");
    fill($("target-rows"), regions.map((region) => {
      const t = set[region.code] || { issue_target: 0, use_target: 0 };
      const tr = document.createElement("tr");
      tr.dataset.region = region.code;
      cell(tr, "　".repeat(region.depth) + region.name);
      const inputs = ["issue_target", "use_target"].map((name) => {
        const td = cell(tr, "");
        if (!may) { td.textContent = t[name] || "未设置"; return null; }
        const input = document.createElement("input");
        input.type = "number";
        input.min = "0";
        input.name = name;
        input.value = t[name];
        input.setAttribute("aria-label", `${region.name}${name === "issue_target" ? "发券目标" : "用券目标"}`);
        td.appendChild(input);
        return input;
      });
      const actions = cell(tr, "");
      if (may) {
        button(actions, "保存", async () => {
          const s = await call("PUT", "/admin/targets", {
            region: region.code, year, issue_target: Number(inputs[0].value), use_target: Number(inputs[1].value),
          });
          if (s.status !== 200) return notify(failed(s), true);
          notify(`已保存 ${region.name} ${year} 年目标：发券 ${s.data.issue_target} 张，用券 ${s.data.use_target} 张`);
        });
      }
      return tr;
    }), "没有可设置目标的地区。");
  }

  async function loadLevels() {
    const r = await call("GET", "/admin/settlement/review-levels");
    if (r.status !== 200) return notify(failed(r), true);
    const set = Object.fromEntries(r.data.settings.map((x) => [x.region, x]));
    const may = Frame.allowed(Frame.me(), "standards");
    fill($("level-rows"), regions.map((region) => {
      const tr = document.createElement("tr");
      tr.dataset.region = region.code;
      cell(tr, "　".repeat(region.depth) + region.name);
      const own = set[region.code];
      const td = cell(tr, "");
      const select = document.createElement("select");
      select.setAttribute("aria-label", `${region.name}审核级数`);
      select.append(new Option("沿用上级（默认一级）", ""), new Option("一级审核", "1"), new Option("两级审核（初审+复审）", "2"));
      select.value = own ? String(own.levels) : "";
      select.disabled = !may;
      td.appendChild(select);
      const actions = cell(tr, "");
      if (may) {
        button(actions, "保存", async () => {
          if (!select.value) return notify("请选择一级或两级", true);
          const s = await call("PUT", "/admin/settlement/review-levels", { region: region.code, levels: Number(select.value) });
          if (s.status !== 200) return notify(failed(s), true);
          notify(`已保存：${region.name} 结算${select.value === "2" ? "须两级审核" : "一级审核"}`);
        });
      }
      return tr;
    }), "没有地区。");
  }

  Frame.onReady(async () => {
    const r = await call("GET", "/admin/regions");
    regions = r.status === 200 ? r.data.items : [];
    const year = new Date().getFullYear();
    for (const select of document.querySelectorAll(".region-choice")) {
      select.replaceChildren(...regions.map((x) => new Option("　".repeat(x.depth) + x.name, x.code)));
    }
    for (const select of document.querySelectorAll(".project-choice")) select.replaceChildren(...L.PROJECT_TYPES.map((p) => new Option(p)));
    for (const select of document.querySelectorAll(".group-choice")) select.replaceChildren(...L.GROUPS.map((p) => new Option(p)));
    for (const input of document.querySelectorAll("input[name=effective_year]")) input.value = year;
    $("target-year").value = year;
    $("standard-form").addEventListener("submit", saveStandard);
    $("ratio-form").addEventListener("submit", saveRatio);
    $("target-year-form").addEventListener("submit", loadTargets);
    await Promise.all([loadStandards(), loadTargets(), loadLevels()]);
  });
})();
