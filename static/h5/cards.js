// Card center (领取培训券): the batches on offer, what each pays for, and 领取 with the group
// the trainee declares where the batch lets trainees declare it.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, actions, button } = H5;
  const MODE = { face_value: "面值券", deduction: "抵用券", checkin_only: "签到专用券" };

  function rules(b) {
    const money = b.face_value_fen ? `面值 ${(b.face_value_fen / 100).toFixed(0)} 元 · ` : "";
    const validity = b.validity_mode === "fixed_date" ? `有效期至 ${b.valid_until_date}` : `领取后 ${b.valid_days} 天内有效`;
    return [
      `${money}${MODE[b.value_mode] || ""} · 剩余 ${b.remaining} 张`,
      `培训项目：${b.project_types.join("、")}${b.occupation ? `（${b.occupation}）` : ""}`,
      b.eligible_groups.length ? `发放对象：${b.eligible_groups.join("、")}` : "",
      validity + (b.claim_end ? ` · ${new Date(b.claim_end).toLocaleDateString("zh-CN")} 前领取` : ""),
    ];
  }

  async function claim(b, group) {
    const body = { batch_id: b.id };
    if (group) body.group = group;
    const r = await call("POST", "/claims", body);
    if (r.status !== 201 && r.status !== 200) return say(failed(r));
    await load();
    done(`已领取“${b.title}”。请到“找培训”选择培训班。`);
  }

  function item(entry) {
    const b = entry.batch;
    const li = card(b.title, rules(b));
    li.dataset.batch = b.id;
    if (!entry.claimable) {
      const why = document.createElement("p");
      why.className = "why";
      why.textContent = entry.message || "暂不能领取";
      li.appendChild(why);
      return li;
    }
    const row = actions(li);
    let select = null;
    if (b.eligible_groups.length && !b.requires_eligibility_list) {
      select = document.createElement("select");
      select.setAttribute("aria-label", "您的人员类别");
      select.append(new Option("请选择您的人员类别", ""), ...b.eligible_groups.map((g) => new Option(g)));
      row.appendChild(select);
    }
    button(row, "领取", () => {
      if (select && !select.value) return say("请选择您的人员类别");
      claim(b, select && select.value);
    }, "primary");
    return li;
  }

  async function load() {
    const r = await call("GET", "/card-center");
    if (r.status !== 200) return say(failed(r));
    fill($("batches"), r.data.items.map(item), "目前没有正在发放的培训券。发放时会在这里显示。");
  }

  H5.onReady(load);
})();
