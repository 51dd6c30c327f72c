// Online training platforms (线上培训平台): the registry of platforms, what each may take, and
// their signing keys (add a second, retire the old: rotation without downtime). A new key's
// secret is shown once.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm } = Frame;
  const L = window.Labels;
  const list = (text) => text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);

  function showSecret(platform, key) {
    $("secret").hidden = false;
    $("secret").textContent = `“${platform}”的新密钥 ${key.key_id}：${key.secret}（只显示这一次，请立即交给平台安全保存）`;
  }

  function row(p, may) {
    const tr = document.createElement("tr");
    tr.dataset.platform = p.code;
    cell(tr, p.code);
    cell(tr, p.name);
    cell(tr, p.region_name);
    cell(tr, p.project_types.join("、"));
    cell(tr, p.occupations.join("、") || "不限");
    cell(tr, p.keys.filter((k) => k.active).map((k) => k.key_id).join("、") || "无");
    cell(tr, p.suspended ? "已暂停" : "正常").className = "status";
    const actions = cell(tr, "");
    if (!may) return tr;
    button(actions, "新增密钥", async () => {
      const r = await call("POST", `/admin/platforms/${p.id}/keys`);
      if (r.status !== 200 && r.status !== 201) return notify(failed(r), true);
      showSecret(p.name, r.data);
      load();
    });
    for (const k of p.keys.filter((x) => x.active)) {
      button(actions, `停用密钥 ${k.key_id}`, async () => {
        if (!(await confirm(`停用“${p.name}”的密钥 ${k.key_id}？用它签名的请求立即被拒绝。`, "停用"))) return;
        const r = await call("POST", `/admin/platforms/${p.id}/keys/${k.key_id}/retire`);
        if (r.status !== 200) return notify(failed(r), true);
        notify(`已停用密钥 ${k.key_id}`);
        load();
      }, "danger");
    }
    return tr;
  }

  async function load() {
    const r = await call("GET", "/admin/platforms");
    if (r.status !== 200) return notify(failed(r), true);
    const may = Frame.allowed(Frame.me(), "registry");
    fill($("platform-rows"), r.data.items.map((p) => row(p, may)), may ? "还没有登记线上培训平台。请在下方登记。" : "还没有登记线上培训平台。");
  }

  async function register(event) {
    event.preventDefault();
    const f = event.target;
    const body = {
      code: f.code.value.trim(), name: f.name.value.trim(), region: f.region.value, address: f.address.value.trim(),
      phone: f.phone.value.trim(), occupations: list(f.occupations.value),
      project_types: [...f.querySelectorAll("input[name=project_types]:checked")].map((i) => i.value),
    };
    if (!body.project_types.length) return notify("请至少选择一个允许的培训项目", true);
    const r = await call("POST", "/admin/platforms", body);
    if (r.status !== 201 && r.status !== 200) return notify(failed(r), true);
    notify(`已登记“${r.data.name}”`);
    showSecret(r.data.name, r.data.key);
    f.reset();
    load();
  }

  Frame.onReady(async () => {
    const regions = await call("GET", "/admin/regions");
    if (regions.status === 200) {
      $("platform-region").replaceChildren(...regions.data.items.map((x) => new Option("　".repeat(x.depth) + x.name, x.code)));
    }
    $("platform-projects").replaceChildren(...L.PROJECT_TYPES.map((t) => {
      const label = document.createElement("label");
      label.className = "inline";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "project_types";
      input.value = t;
      label.append(input, " " + t);
      return label;
    }));
    $("platform-form").addEventListener("submit", register);
    await load();
  });
})();
