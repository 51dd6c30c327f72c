// My notices (我的通知): every notice meant for me, delivered or not, newest first; unread ones
// marked, read when opened (tapped) or all at once; a notice about a voucher opens it.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, actions } = H5;

  async function markRead(body) {
    const r = await call("POST", "/notices/read", body);
    if (r.status !== 200) return say(failed(r));
    await load();
    H5.unread();
  }

  function item(n) {
    const li = card(n.title, [
      n.text,
      n.batch_title ? `培训券：${n.batch_title}` : "",
      `${new Date(n.created_at).toLocaleString("zh-CN", { hour12: false })} · ${n.delivery_label}`,
    ]);
    li.dataset.notice = n.id;
    if (!n.read) li.classList.add("unread");
    const row = actions(li);
    if (n.voucher_code) {
      const link = document.createElement("a");
      link.href = n.kind === "voucher_completed" ? `/h5/evaluate?voucher=${n.voucher_code}` : "/h5/wallet";
      link.textContent = n.kind === "voucher_completed" ? "去评价" : "查看培训券";
      link.addEventListener("click", () => { if (!n.read) call("POST", "/notices/read", { ids: [n.id] }); });
      row.appendChild(link);
    }
    if (!n.read) H5.button(row, "标为已读", () => markRead({ ids: [n.id] }));
    return li;
  }

  async function load() {
    const r = await call("GET", "/notices?limit=100");
    if (r.status !== 200) return say(failed(r));
    fill($("notices"), r.data.items.map(item), "还没有通知。领取培训券、报名、结业等都会在这里通知您。");
    $("read-all").hidden = r.data.unread === 0;
    $("kept").textContent = `这里保留最近${r.data.kept_days}天的通知，更早的已自动清理。`;
    $("kept").hidden = false;
  }

  H5.onReady(async () => {
    $("read-all").addEventListener("click", async () => { await markRead({ all: true }); done("已全部标为已读"); });
    await load();
  });
})();
