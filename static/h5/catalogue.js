// Find a training (找培训 / 人选培训): classes open for sign-up that my vouchers can pay for (or
// all), by keyword, project type, occupation, district and start date, nearest first when I
// share my position; which of my vouchers fits each; 报名 with one. ?institution=N shows one
// institution's page; ?voucher=CODE preselects that voucher.
"use strict";

(() => {
  const { $, call, failed, say, done, fill, card, actions, button } = H5;
  let position = null;
  const wanted = new URLSearchParams(location.search);

  function query() {
    const f = $("search");
    const params = new URLSearchParams({ limit: "50" });
    for (const name of ["q", "project_type", "occupation", "region", "start_from"]) {
      if (f[name].value.trim()) params.set(name, f[name].value.trim());
    }
    if (f.all.checked) params.set("all", "true");
    if (position) {
      params.set("latitude", position.latitude);
      params.set("longitude", position.longitude);
      params.set("datum", "wgs84"); // the browser's geolocation
      params.set("sort", "distance");
    }
    return params.toString();
  }

  function distance(m) {
    return m === null || m === undefined ? "" : m < 1000 ? `${m} 米` : `${(m / 1000).toFixed(1)} 公里`;
  }

  function classCard(k) {
    const sites = k.sites.map((s) => `${s.name}：${s.address}${s.distance_m !== null ? `（距您 ${distance(s.distance_m)}）` : ""}`);
    const li = card(k.name, [
      `${k.institution.name}${k.evaluation_score ? ` · 评价 ${k.evaluation_score.toFixed(1)} 分` : ""} · 电话 ${k.institution.phone}`,
      `${k.project_type}${k.occupation ? ` · ${k.occupation}` : ""} · ${k.start_date} 至 ${k.end_date}`,
      `剩余名额 ${k.places_left} / ${k.capacity}`,
      ...sites,
    ]);
    li.dataset.class = k.id;
    const row = actions(li);
    const link = document.createElement("a");
    link.href = `/h5/catalogue?institution=${k.institution.id}`;
    link.textContent = "机构详情";
    row.appendChild(link);
    if (k.my_signup) {
      const p = document.createElement("p");
      p.className = "why";
      p.textContent = `我的报名：${k.my_signup.status_text}`;
      li.appendChild(p);
      return li;
    }
    if (!k.fitting_vouchers.length) {
      const p = document.createElement("p");
      p.className = "why";
      p.textContent = "您的培训券不能用于此培训班（项目、工种或地区不符）";
      li.appendChild(p);
      return li;
    }
    const select = document.createElement("select");
    select.setAttribute("aria-label", "用哪张券报名");
    for (const v of k.fitting_vouchers) {
      const label = `${v.title}（${v.last_valid_day} 前有效）${v.signed_up_class_id ? "（已报名其他班）" : ""}`;
      select.appendChild(new Option(label, v.code, false, v.code === wanted.get("voucher")));
    }
    row.prepend(select);
    button(row, "报名", () => signUp(k, select.value), "primary");
    return li;
  }

  async function signUp(k, code) {
    const r = await call("POST", "/signups", { class_id: k.id, voucher_code: code });
    if (r.status !== 201 && r.status !== 200) return say(failed(r));
    await load();
    done(`已报名“${k.name}”，等待培训机构确认。到机构报到时请出示“我的券”中的二维码。`);
  }

  async function load(event) {
    if (event) event.preventDefault();
    const institution = wanted.get("institution");
    if (institution) {
      const r = await call("GET", `/catalogue/institutions/${institution}`);
      if (r.status !== 200) return say(failed(r));
      const i = r.data;
      $("institution").hidden = false;
      $("search").hidden = true;
      $("institution-name").textContent = i.name;
      $("institution-facts").textContent = `${i.region.name} · ${i.kind} · ${i.address} · 电话 ${i.phone}` +
        (i.evaluation_score ? ` · 学员评价 ${i.evaluation_score.toFixed(1)} 分` : " · 暂无评价");
      $("total").textContent = `开放报名的培训班 ${i.classes_total} 个`;
      return fill($("classes"), i.classes.map(classCard), "该机构目前没有开放报名的培训班。");
    }
    const r = await call("GET", "/catalogue/classes?" + query());
    if (r.status !== 200) return say(failed(r));
    $("total").textContent = `找到 ${r.data.total} 个培训班`;
    fill($("classes"), r.data.items.map(classCard), $("search").all.checked
      ? "没有符合条件的培训班。请换个条件搜索。"
      : "没有您的培训券能用的培训班。可以勾选“显示所有开放报名的培训班”，或先到“领券”领取培训券。");
  }

  function locate() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
        () => resolve(null),
        { timeout: 8000 },
      );
    });
  }

  H5.onReady(async () => {
    const f = $("search");
    for (const p of window.H5Labels.PROJECT_TYPES) f.project_type.appendChild(new Option(p));
    const regions = await call("GET", "/regions");
    if (regions.status === 200) {
      for (const x of regions.data.items) f.region.appendChild(new Option("　".repeat(x.depth) + x.name, x.code));
    }
    f.near.addEventListener("change", async () => {
      position = f.near.checked ? await locate() : null;
      if (f.near.checked && !position) {
        f.near.checked = false;
        say("无法获取您的位置，请在手机设置中允许获取位置后重试");
        return;
      }
      load();
    });
    f.addEventListener("submit", load);
    await load();
  });
})();
