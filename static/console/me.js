// My account (我的账号): my role and what it allows; change my own password.
"use strict";

(() => {
  const { $, call, failed, notify } = Frame;
  const WORDS = {
    accounts: "管理账号", registry: "管理培训机构", standards: "维护补贴标准、比例与目标", batches: "管理批次与名单",
    vouchers: "作废培训券", archive: "查询培训档案", review_first: "结算初审", review_second: "结算复审",
    payments: "管理拨付清单", export: "导出培训券明细",
  };

  async function change(event) {
    event.preventDefault();
    const f = event.target;
    if (f.new_password.value !== f.again.value) return notify("两次输入的新密码不一致", true);
    const r = await call("POST", "/admin/me/password", {
      current_password: f.current_password.value, new_password: f.new_password.value,
    });
    if (r.status !== 200) return notify(failed(r), true);
    Frame.renew(r.data.token);
    f.reset();
    notify("密码已修改。其他设备上的登录已退出。");
  }

  Frame.onReady((me) => {
    $("me-summary").textContent = `${me.display_name || me.username}（用户名 ${me.username}），${me.region_name}，角色：${me.role_text}`;
    $("me-permissions").textContent = me.permissions.map((p) => WORDS[p] || p).join("、") || "查看统计";
    $("password-form").addEventListener("submit", change);
  });
})();
