// Me (我的): the identity this account is bound to (masked), the channels the person uses, 退出.
"use strict";

(() => {
  const { $, call, failed, say, fill, card, confirm } = H5;

  H5.onReady(async () => {
    const r = await call("GET", "/me");
    if (r.status !== 200) return say(failed(r));
    const me = r.data;
    $("who").textContent = me.verified ? me.name : "尚未实名认证";
    $("idno").textContent = me.verified ? `身份证号 ${me.id_number}` : "请在电子社保卡小程序中完成人脸识别认证后领取培训券。";
    fill($("channels"), me.channels.map((c) => card(c.channel_text + (c.this_one ? "（当前）" : ""), [
      c.bound_at ? `绑定于 ${new Date(c.bound_at).toLocaleDateString("zh-CN")}` : "",
    ])), "暂无");
    $("logout").addEventListener("click", async () => {
      if (!(await confirm("退出后，本设备上的登录失效，需从电子社保卡或人社 App 重新进入。", "退出"))) return;
      await call("POST", "/logout");
      H5.forget();
      location.replace("/h5/me");
    });
  });
})();
