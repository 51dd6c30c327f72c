// 通知: the notices the institution received in full, with how each was delivered; the webhook,
// a signed test push, and the latest pushes.
"use strict";

let before = null;
let commissioner = false;

function $(id) { return document.getElementById(id); }

function noticeItem(n) {
  const li = document.createElement("li");
  li.className = "notice";
  const head = document.createElement("p");
  head.className = "notice-head";
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = n.kind_text;
  const title = document.createElement("strong");
  title.textContent = n.title;
  const at = document.createElement("span");
  at.className = "hint";
  at.textContent = Portal.localTime(n.at);
  head.append(kind, " ", title, " ", at);
  const body = document.createElement("p");
  body.className = "notice-body";
  body.textContent = n.body;
  const how = document.createElement("p");
  how.className = "hint delivery";
  how.textContent = n.pending
    ? "正在发送……"
    : n.deliveries.length
      ? n.deliveries.map((d) => `${d.to}：${d.status}${d.error ? `（${d.error}）` : ""}`).join("；")
      : "未推送：本机构没有设置推送地址，也没有绑定微信的人员（可在“我的账号”页绑定微信）";
  li.append(head, body, how);
  return li;
}

async function loadNotices(more) {
  const r = await Portal.call("GET", `/institution/notices${more && before ? `?before=${before}` : ""}`);
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  const items = r.data.items.map(noticeItem);
  if (more) $("notice-list").append(...items);
  else if (items.length) $("notice-list").replaceChildren(...items);
  else {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "还没有收到通知。学员报名、补贴审核等事项发生后，通知会显示在这里。";
    $("notice-list").replaceChildren(li);
  }
  $("kept").textContent = `这里保留最近${r.data.kept_days}天的通知，更早的已自动清理。`;
  $("kept").hidden = false;
  before = r.data.next_before;
  $("more").hidden = !before;
}

async function loadWebhook() {
  const r = await Portal.call("GET", "/institution/webhook");
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  const url = r.data.url;
  $("webhook-state").textContent = url ? `当前推送地址：${url}` : "尚未设置推送地址。";
  $("webhook-test").hidden = !url;
  $("webhook-remove").hidden = !url;
  Portal.fill($("delivery-rows"), r.data.deliveries.map((d) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, Portal.localTime(d.at));
    Portal.cell(tr, d.event);
    Portal.cell(tr, d.status);
    Portal.cell(tr, d.attempts);
    Portal.cell(tr, d.error || "");
    return tr;
  }), url ? "还没有推送记录。" : "设置推送地址后，推送记录会显示在这里。");
}

async function saveWebhook(event) {
  event.preventDefault();
  const form = event.target;
  const r = await Portal.call("PUT", "/institution/webhook", { url: form.url.value.trim(), secret: form.secret.value });
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  form.reset();
  Portal.notify("已保存推送地址。可点击“发送测试”检查对方能否收到。");
  await loadWebhook();
}

async function testWebhook() {
  $("test-result").textContent = "正在发送测试推送……";
  $("test-result").className = "hint";
  const r = await Portal.call("POST", "/institution/webhook/test");
  if (r.status !== 200) {
    $("test-result").textContent = Portal.failed(r);
    $("test-result").className = "error";
    return;
  }
  $("test-result").textContent = r.data.message;
  $("test-result").className = r.data.ok ? "ok" : "error";
}

async function removeWebhook() {
  if (!(await Portal.confirm("删除推送地址？删除后通知不再推送到本机构的系统。", "删除"))) return;
  const r = await Portal.call("DELETE", "/institution/webhook");
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  Portal.notify("已删除推送地址");
  await loadWebhook();
}

Portal.onReady(async (me) => {
  commissioner = me.role === "commissioner";
  $("webhook-form").hidden = !commissioner;
  $("webhook-form").addEventListener("submit", saveWebhook);
  $("webhook-test").addEventListener("click", testWebhook);
  $("webhook-remove").addEventListener("click", removeWebhook);
  $("more").addEventListener("click", () => loadNotices(true));
  await Promise.all([loadNotices(false), loadWebhook()]);
});
