// My sign-ups (我的报名): each with its state (待确认, 已确认, 已婉拒 with the reason, 已失效,
// 已取消), and 取消报名 while it can be.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, actions, button, confirm } = H5;

  async function load() {
    const r = await call("GET", "/signups");
    if (r.status !== 200) return say(failed(r));
    fill($("signups"), r.data.items.map((s) => {
      const li = card(s.training_class.name, [
        `${s.institution.name} · 电话 ${s.institution.phone}`,
        `${s.training_class.start_date} 至 ${s.training_class.end_date} · 用券：${s.voucher.title}`,
        `状态：${s.status_text}${s.reason ? `（${s.reason}）` : ""}`,
      ]);
      li.dataset.signup = s.id;
      if (s.cancellable) {
        button(actions(li), "取消报名", async () => {
          if (!(await confirm(`取消“${s.training_class.name}”的报名？`, "取消报名"))) return;
          const c = await call("POST", `/signups/${s.id}/cancel`);
          if (c.status !== 200) return say(failed(c));
          await load();
          done("已取消报名");
        }, "danger");
      }
      return li;
    }), "您还没有报名培训班。请到“找培训”选择。");
  }

  H5.onReady(load);
})();
