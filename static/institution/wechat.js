// 我的账号: bind a WeChat follower to receive the institution's notices (a QR code to scan),
// the followers bound and unbinding; changing one's own password.
"use strict";

const POLL_MS = 3000;
let poll = null;
let shown = 0;

function $(id) { return document.getElementById(id); }

async function loadBindings() {
  const r = await Portal.call("GET", "/institution/wechat/bindings");
  if (r.status !== 200) return 0;
  const rows = r.data.items.map((b) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, b.follower);
    Portal.cell(tr, Portal.localTime(b.bound_at));
    const td = Portal.cell(tr, "");
    Portal.button(td, "解除绑定", async () => {
      if (await Portal.confirm(`解除 ${b.follower} 的绑定？解除后该微信不再收到本机构的通知。`, "解除绑定")) {
        const d = await Portal.call("DELETE", `/institution/wechat/bindings/${b.id}`);
        Portal.notify(d.status === 200 ? "已解除绑定" : Portal.failed(d), d.status !== 200);
        await loadBindings();
      }
    }, "danger");
    return tr;
  });
  Portal.fill($("binding-rows"), rows, "还没有绑定微信。点击上方“生成绑定二维码”，用微信扫码即可绑定。");
  return r.data.items.length;
}

async function makeQr() {
  const r = await Portal.call("POST", "/institution/wechat/binding-qr");
  if (r.status !== 200) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  $("qr").src = r.data.image;
  $("qr-expires").textContent = Portal.localTime(r.data.expires_at);
  $("qr-box").hidden = false;
  Portal.notify("");
  const expires = new Date(r.data.expires_at).getTime();
  clearInterval(poll);
  // While the code is on screen, watch for the scan: the binding appears without a reload.
  poll = setInterval(async () => {
    if (Date.now() > expires) {
      clearInterval(poll);
      $("qr-box").hidden = true;
      Portal.notify("二维码已过期，请重新生成", true);
      return;
    }
    const count = await loadBindings();
    if (count > shown) {
      clearInterval(poll);
      $("qr-box").hidden = true;
      Portal.notify("绑定成功：您将在该微信收到本机构的通知");
    }
    shown = count;
  }, POLL_MS);
}

async function changePassword(event) {
  event.preventDefault();
  const form = event.target;
  if (form.new_password.value !== form.repeat.value) {
    Portal.notify("两次输入的新密码不一致", true);
    return;
  }
  const r = await Portal.call("POST", "/institution/password", {
    current_password: form.current_password.value, new_password: form.new_password.value,
  });
  if (r.status !== 200) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  Portal.renew(r.data.token);
  form.reset();
  Portal.notify("密码已修改");
}

Portal.onReady(async () => {
  $("make-qr").addEventListener("click", makeQr);
  $("password-form").addEventListener("submit", changePassword);
  shown = await loadBindings();
});
