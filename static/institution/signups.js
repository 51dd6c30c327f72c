// Sign-ups (线上报名): a class's online sign-ups; confirmed by the registration scan, or declined
// here with a reason the trainee is told.
"use strict";

(() => {
  const { $, call, failed, notify, cell, button, fill, confirm, localTime } = Portal;

  async function load() {
    const id = $("class").value;
    if (!id) return;
    const r = await call("GET", `/institution/classes/${id}/signups`);
    if (r.status !== 200) return notify(failed(r), true);
    $("hold").textContent = r.data.hold_places_for_signups ? "本班为待确认的报名保留名额。" : "本班不为报名保留名额：名额按扫码报名先后占用。";
    fill($("signup-rows"), r.data.items.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.signup = s.id;
      cell(tr, s.holder_name);
      cell(tr, `${s.title}（${s.voucher_code}）`);
      cell(tr, localTime(s.created_at));
      cell(tr, s.status_text + (s.reason ? `：${s.reason}` : "")).className = "status";
      const actions = cell(tr, "");
      if (s.status === "pending") {
        const reason = document.createElement("input");
        reason.placeholder = "婉拒原因";
        reason.setAttribute("aria-label", `婉拒 ${s.holder_name} 的原因`);
        actions.appendChild(reason);
        button(actions, "婉拒", async () => {
          if (reason.value.trim().length < 2) return notify("请填写婉拒原因（学员会看到）", true);
          if (!(await confirm(`婉拒 ${s.holder_name} 的报名？学员会收到通知和原因。`, "婉拒"))) return;
          const d = await call("POST", `/institution/signups/${s.id}/decline`, { reason: reason.value.trim() });
          if (d.status !== 200) return notify(failed(d), true);
          notify(`已婉拒 ${s.holder_name} 的报名`);
          load();
        }, "danger");
      }
      return tr;
    }), "本班还没有线上报名。");
  }

  Portal.onReady(async () => {
    const classes = await Portal.chooseClass($("class"));
    if (!classes.length) return notify("还没有培训班。请先在“培训班”页面开班。", true);
    // Each class says how many sign-ups wait; without ?class= the first that has some is shown.
    for (const option of $("class").options) {
      const k = classes.find((c) => String(c.id) === option.value);
      if (k && k.signups_waiting) option.textContent += ` · 待确认 ${k.signups_waiting} 人`;
    }
    const waiting = classes.find((k) => k.signups_waiting);
    if (!new URLSearchParams(location.search).get("class") && waiting) $("class").value = waiting.id;
    $("class").addEventListener("change", load);
    await load();
  });
})();
