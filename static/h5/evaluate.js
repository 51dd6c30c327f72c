// Training evaluation (培训评价): the trainings waiting for my rating, the form (1-5 on teaching,
// organisation and usefulness, tags, a comment), and my evaluations, changeable for a few days.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, actions, button } = H5;
  let editing = null; // {voucher_code} for a new one, or {id} to change one

  function stars(box, value) {
    box.replaceChildren(...[1, 2, 3, 4, 5].map((n) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = box.dataset.name;
      input.value = String(n);
      input.checked = n === value;
      label.append(input, ` ${n} 分`);
      return label;
    }));
  }

  function open(title, target, given) {
    editing = target;
    const f = $("evaluation-form");
    f.hidden = false;
    $("form-title").textContent = title;
    for (const box of f.querySelectorAll(".stars")) stars(box, given ? given[box.dataset.name] : 0);
    for (const input of f.querySelectorAll("#tags input")) input.checked = !!given && given.tags.includes(input.value);
    f.comment.value = given ? given.comment : "";
    f.scrollIntoView();
  }

  async function submit(event) {
    event.preventDefault();
    const f = event.target;
    const score = (name) => Number((f.querySelector(`input[name=${name}]:checked`) || {}).value || 0);
    const body = {
      teaching: score("teaching"), organisation: score("organisation"), usefulness: score("usefulness"),
      tags: [...f.querySelectorAll("#tags input:checked")].map((i) => i.value), comment: f.comment.value.trim(),
    };
    if (!body.teaching || !body.organisation || !body.usefulness) return say("请为教学质量、组织管理和实用程度各打 1 到 5 分");
    const r = editing.id
      ? await call("PUT", `/evaluations/${editing.id}`, body)
      : await call("POST", "/evaluations", { ...body, voucher_code: editing.voucher_code });
    if (r.status !== 200 && r.status !== 201) return say(failed(r));
    f.hidden = true;
    await load();
    done("感谢您的评价！");
  }

  async function load() {
    const [pending, given] = await Promise.all([call("GET", "/evaluations/pending"), call("GET", "/evaluations")]);
    if (pending.status !== 200) return say(failed(pending));
    fill($("pending"), pending.data.items.map((p) => {
      const li = card(p.class_name, [`${p.institution_name} · ${p.title}`]);
      li.dataset.voucher = p.voucher_code;
      button(actions(li), "去评价", () => open(`评价：${p.class_name}`, { voucher_code: p.voucher_code }), "primary");
      return li;
    }), "没有待评价的培训。培训结束后可以在这里评价。");
    if (given.status !== 200) return;
    fill($("given"), given.data.items.map((e) => {
      const li = card(e.class_name, [
        `${e.institution_name}`,
        `教学 ${e.teaching} 分 · 组织 ${e.organisation} 分 · 实用 ${e.usefulness} 分`,
        e.tags.length ? `印象：${e.tags.join("、")}` : "",
        e.comment ? `意见：${e.comment}` : "",
        e.editable ? `${new Date(e.editable_until).toLocaleDateString("zh-CN")} 前可以修改` : "已不能修改",
      ]);
      if (e.editable) button(actions(li), "修改", () => open(`修改评价：${e.class_name}`, { id: e.id }, e));
      return li;
    }), "您还没有评价过培训。");
    const wanted = new URLSearchParams(location.search).get("voucher");
    const match = wanted && pending.data.items.find((p) => p.voucher_code === wanted);
    if (match && $("evaluation-form").hidden) open(`评价：${match.class_name}`, { voucher_code: match.voucher_code });
  }

  H5.onReady(async () => {
    const tags = await call("GET", "/evaluations/tags");
    if (tags.status === 200) {
      $("tags").replaceChildren(...[...tags.data.positive, ...tags.data.negative].map((t) => {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "checkbox";
        input.value = t;
        label.append(input, ` ${t}`);
        return label;
      }));
      $("comment-max").textContent = tags.data.comment_max;
      $("evaluation-form").comment.maxLength = tags.data.comment_max;
      $("edit-days").textContent = tags.data.edit_days;
    }
    $("evaluation-form").addEventListener("submit", submit);
    $("cancel").addEventListener("click", () => { $("evaluation-form").hidden = true; });
    await load();
  });
})();
