// Evaluations (学员评价): what the institution's trainees said, aggregated per class; comments
// without names, and only where enough trainees rated a class that nobody can be singled out.
"use strict";

(() => {
  const { $, call, failed, notify, cell, fill } = Portal;
  const score = (v) => (v === null || v === undefined ? "—" : v.toFixed(1));
  const tags = (t) => Object.entries(t).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join("、");

  Portal.onReady(async () => {
    const r = await call("GET", "/institution/evaluations");
    if (r.status !== 200) return notify(failed(r), true);
    const o = r.data.overall;
    $("comments-from").textContent = r.data.comments_from;
    $("overall").textContent = o.count ? `共 ${o.count} 条评价，综合 ${score(o.score)} 分` : "还没有学员评价";
    $("overall-hint").hidden = Boolean(o.count);
    fill($("evaluation-rows"), r.data.classes.map((k) => {
      const tr = document.createElement("tr");
      const s = k.summary;
      for (const v of [k.class_name, `${k.start_date} 至 ${k.end_date}`, s.count, score(s.teaching), score(s.organisation),
        score(s.usefulness), score(s.score), tags(s.tags)]) cell(tr, v);
      return tr;
    }), "还没有培训班收到评价。");
    const items = r.data.classes.flatMap((k) => k.comments.map((c) => `${k.class_name}：${c}`));
    $("comments").replaceChildren(...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = `还没有可显示的文字意见：一个培训班满 ${r.data.comments_from} 条评价后，这里显示学员写下的意见。`;
      $("comments").appendChild(li);
    }
  });
})();
