// My vouchers (我的培训券): the list, one voucher with its rotating QR (refreshed shortly before
// the server says it goes stale), 退券 before enrolment.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, confirm } = H5;
  const STATUS = window.H5Labels.STATUS;
  let timer = null;
  let imageUrl = null;

  async function showList() {
    clearTimeout(timer);
    $("detail").hidden = true;
    $("list").hidden = false;
    const r = await call("GET", "/vouchers");
    if (r.status !== 200) return say(failed(r));
    const items = r.data.items.map((v) => {
      const li = card("", [
        `${STATUS[v.status] || v.status} · 有效期至 ${H5.lastDay(v.valid_until)}` +
          (v.status === "claimed" && v.days_left !== undefined ? `（还剩 ${v.days_left} 天）` : ""),
      ]);
      const link = document.createElement("a");
      link.href = "#";
      link.textContent = v.title;
      link.dataset.code = v.code;
      link.addEventListener("click", (event) => { event.preventDefault(); showVoucher(v); });
      li.querySelector(".title").appendChild(link);
      return li;
    });
    $("vouchers").replaceChildren(...items);
    $("empty").hidden = items.length > 0;
    return r.data.items;
  }

  async function refreshQr(code) {
    const r = await call("GET", `/vouchers/${code}/qr?format=svg`);
    if (r.status !== 200) {
      say(failed(r));
      $("qr").removeAttribute("src");
      return;
    }
    const refreshIn = Number(r.response.headers.get("X-Qr-Refresh-In") || "10");
    const blob = await r.response.blob();
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = URL.createObjectURL(blob);
    $("qr").src = imageUrl;
    $("qr").dataset.refreshedAt = String(Date.now());
    $("step").textContent = r.response.headers.get("X-Qr-Step-Seconds") || "30";
    // Refresh a little before the step ends, never faster than once a second.
    timer = setTimeout(() => refreshQr(code), Math.max(1, refreshIn - 3) * 1000);
  }

  function showVoucher(v) {
    clearTimeout(timer);
    $("list").hidden = true;
    $("detail").hidden = false;
    $("title").textContent = v.title;
    const money = v.face_value_fen ? `面值 ${(v.face_value_fen / 100).toFixed(0)} 元 · ` : "";
    $("info").textContent = `${money}${STATUS[v.status] || v.status} · 券号 ${v.code}`;
    $("find").href = `/h5/catalogue?voucher=${v.code}`;
    $("return-box").hidden = !(v.status === "claimed" && v.returnable);
    $("return").onclick = async () => {
      if (!(await confirm(`退回“${v.title}”？退回后名额供他人领取；除非本批次允许，您不能再领取本批次的培训券。`, "退券"))) return;
      const r = await call("POST", `/vouchers/${v.code}/return`);
      if (r.status !== 200) return say(failed(r));
      await showList();
      done("已退券");
    };
    refreshQr(v.code);
  }

  H5.onReady(async () => {
    $("back").addEventListener("click", (event) => { event.preventDefault(); showList(); });
    const items = await showList();
    // A notice's tap opens its voucher (/h5/wallet?code=...).
    const wanted = new URLSearchParams(location.search).get("code");
    const match = wanted && (items || []).find((v) => v.code === wanted);
    if (match) showVoucher(match);
  });
})();
