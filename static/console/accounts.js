// Accounts (账号管理, administrators): the bureau users of my regions, add one with a role,
// change role, disable/enable, reset a password, lift a login lock; the log of these changes.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm } = Frame;
  let roles = {};
  let accountNames = {};

  function changes(e) {
    if (e.action === "account_locked") {
      return `连续 ${e.after.failures} 次密码错误，锁定至 ${Frame.localTime(e.after.until)}`;
    }
    const words = { role: "角色", region: "地区", display_name: "姓名", active: "启用", username: "用户名" };
    const value = (k, v) => (k === "role" ? roles[v] || v : k === "active" ? (v ? "是" : "否") : v);
    const after = e.after || {};
    const before = e.before || {};
    return Object.keys(after).filter((k) => k in words && before[k] !== after[k])
      .map((k) => (k in before ? `${words[k]}：${value(k, before[k])} → ${value(k, after[k])}` : `${words[k]}：${value(k, after[k])}`))
      .join("；");
  }

  async function act(path, body, done) {
    const r = await call("POST", path, body);
    if (r.status !== 200) return notify(failed(r), true);
    notify(done);
    load();
  }

  function row(a, me) {
    const tr = document.createElement("tr");
    tr.dataset.account = a.username;
    cell(tr, a.username);
    cell(tr, a.display_name);
    const roleCell = cell(tr, "");
    if (a.id === me.id) roleCell.textContent = a.role_text;
    else {
      const select = document.createElement("select");
      select.setAttribute("aria-label", `${a.username} 的角色`);
      for (const [value, text] of Object.entries(roles)) select.appendChild(new Option(text, value, false, value === a.role));
      select.addEventListener("change", async () => {
        if (!(await confirm(`把 ${a.display_name || a.username} 的角色改为“${roles[select.value]}”？本人需要重新登录。`, "修改"))) {
          select.value = a.role;
          return;
        }
        const r = await call("PUT", `/admin/accounts/${a.id}`, { role: select.value });
        if (r.status !== 200) { select.value = a.role; return notify(failed(r), true); }
        notify(`已将 ${a.username} 的角色改为${r.data.role_text}`);
        load();
      });
      roleCell.appendChild(select);
    }
    cell(tr, a.region_name);
    cell(tr, (a.active ? "正常" : "已停用") + (a.locked ? "（登录已锁定）" : "")).className = "status";
    const actions = cell(tr, "");
    if (a.id !== me.id) {
      if (a.active) {
        button(actions, "停用", async () => {
          if (await confirm(`停用 ${a.username}？停用后本人立即退出，不能再登录。`, "停用")) act(`/admin/accounts/${a.id}/disable`, undefined, `已停用 ${a.username}`);
        }, "danger");
      } else {
        button(actions, "启用", () => act(`/admin/accounts/${a.id}/enable`, undefined, `已启用 ${a.username}`));
      }
      const password = document.createElement("input");
      password.type = "password";
      password.placeholder = "新密码（至少10位）";
      password.setAttribute("aria-label", `${a.username} 的新密码`);
      password.autocomplete = "new-password";
      actions.appendChild(password);
      button(actions, "重置密码", async () => {
        if (password.value.length < 10) return notify("新密码至少 10 位", true);
        if (await confirm(`重置 ${a.username} 的密码？本人的登录立即失效，须用新密码登录。`, "重置")) {
          act(`/admin/accounts/${a.id}/password`, { password: password.value }, `已重置 ${a.username} 的密码，请当面告知本人`);
        }
      });
    }
    if (a.locked) {
      button(actions, "解除锁定", () => act("/admin/login-lockouts/lift", { kind: "bureau", username: a.username }, `已解除 ${a.username} 的登录锁定`));
    }
    return tr;
  }

  async function load() {
    const me = Frame.me();
    const [r, events] = await Promise.all([call("GET", "/admin/accounts"), call("GET", "/admin/events?subject_kind=account&limit=50")]);
    if (r.status !== 200) return notify(failed(r), true);
    roles = r.data.roles;
    accountNames = Object.fromEntries(r.data.items.map((a) => [String(a.id), a.username]));
    $("account-role").replaceChildren(...Object.entries(roles).map(([v, t]) => new Option(t, v)));
    fill($("account-rows"), r.data.items.map((a) => row(a, me)), "还没有其他人员。请在下方添加。");
    if (events.status !== 200) return;
    fill($("event-rows"), events.data.items.map((e) => {
      const tr = document.createElement("tr");
      cell(tr, Frame.localTime(e.at));
      cell(tr, e.actor_name);
      cell(tr, e.action_text);
      cell(tr, accountNames[e.subject_id] || (e.after && e.after.username) || `账号 ${e.subject_id}`);
      cell(tr, changes(e));
      return tr;
    }), "还没有账号操作记录。");
  }

  async function add(event) {
    event.preventDefault();
    const f = event.target;
    const body = {
      username: f.username.value.trim(), display_name: f.display_name.value.trim(), role: f.role.value,
      region: f.region.value, password: f.password.value,
    };
    const r = await call("POST", "/admin/accounts", body);
    if (r.status !== 201) return notify(failed(r), true);
    notify(`已添加 ${r.data.username}（${r.data.role_text}）。请把初始密码当面告知本人。`);
    f.reset();
    load();
  }

  Frame.onReady(async () => {
    const regions = await call("GET", "/admin/regions");
    if (regions.status === 200) {
      $("account-region").replaceChildren(...regions.data.items.map((x) => new Option("　".repeat(x.depth) + x.name, x.code)));
    }
    $("account-form").addEventListener("submit", add);
    await load();
  });
})();
