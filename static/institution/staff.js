// 工作人员 (commissioner only): list, add, disable/enable, remove, reset a member's password.
"use strict";

const ROLE = { commissioner: "机构专员", scanner: "扫码人员" };

function $(id) { return document.getElementById(id); }

async function act(promise, done) {
  const r = await promise;
  if (r.status >= 200 && r.status < 300) Portal.notify(done);
  else Portal.notify(Portal.failed(r), true);
  await load();
  return r;
}

function openReset(member) {
  const form = $("reset-form");
  form.reset();
  form.staff_id.value = member.id;
  $("reset-who").textContent = `${member.display_name || member.username}（${member.username}）`;
  form.hidden = false;
  form.password.focus();
}

async function load() {
  const r = await Portal.call("GET", "/institution/staff");
  if (r.status !== 200) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  const rows = r.data.items.map((m) => {
    const tr = document.createElement("tr");
    const label = m.display_name || m.username;
    Portal.cell(tr, m.username);
    Portal.cell(tr, m.display_name || "—");
    Portal.cell(tr, ROLE[m.role] || m.role);
    Portal.cell(tr, m.active ? "启用" : "已停用");
    Portal.cell(tr, m.wechat_bindings ? `已绑定 ${m.wechat_bindings} 个微信` : "未绑定");
    const td = Portal.cell(tr, "");
    if (m.role === "commissioner") {
      td.textContent = "由人社部门登记";
      return tr;
    }
    if (m.active) {
      Portal.button(td, "停用", async () => {
        if (await Portal.confirm(`停用 ${label}？其登录立即失效，启用前无法再扫码。`, "停用")) {
          await act(Portal.call("POST", `/institution/staff/${m.id}/disable`), `已停用 ${label}`);
        }
      });
    } else {
      Portal.button(td, "启用", () => act(Portal.call("POST", `/institution/staff/${m.id}/enable`), `已启用 ${label}`));
    }
    Portal.button(td, "重置密码", () => openReset(m));
    Portal.button(td, "删除", async () => {
      if (await Portal.confirm(`删除 ${label}？删除后不能恢复，其扫码记录仍会保留。`, "删除")) {
        await act(Portal.call("DELETE", `/institution/staff/${m.id}`), `已删除 ${label}`);
      }
    }, "danger");
    return tr;
  });
  Portal.fill($("staff-rows"), rows, "还没有其他工作人员。请在下方添加扫码人员。");
}

Portal.onReady(async () => {
  $("add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { username: form.username.value.trim(), display_name: form.display_name.value.trim(), password: form.password.value };
    const r = await act(Portal.call("POST", "/institution/staff", body), `已添加 ${body.display_name || body.username}，请把用户名和初始密码告知本人`);
    if (r.status === 201) form.reset();
  });
  $("reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const r = await act(
      Portal.call("POST", `/institution/staff/${form.staff_id.value}/password`, { password: form.password.value }),
      `已重置 ${$("reset-who").textContent} 的密码`,
    );
    if (r.status === 200) {
      form.reset();
      form.hidden = true;
    }
  });
  $("reset-cancel").addEventListener("click", () => { $("reset-form").hidden = true; });
  await load();
});
