// 教学点: the institution's teaching sites; the commissioner adds and edits them. 测距 tells how
// far a point is from a site, as a location check-in judges it.
"use strict";

const DATUM = { gcj02: "GCJ-02", wgs84: "WGS-84" };
let sites = [];
let commissioner = false;

function $(id) { return document.getElementById(id); }

function editSite(site) {
  const form = $("site-form");
  form.site_id.value = site.id;
  for (const name of ["name", "address", "latitude", "longitude", "datum", "radius_m"]) form[name].value = site[name];
  $("site-form-title").textContent = `编辑教学点：${site.name}`;
  $("site-save").textContent = "保存修改";
  $("site-cancel").hidden = false;
  form.scrollIntoView();
  form.name.focus();
}

function resetSiteForm() {
  const form = $("site-form");
  form.reset();
  form.site_id.value = "";
  $("site-form-title").textContent = "添加教学点";
  $("site-save").textContent = "添加";
  $("site-cancel").hidden = true;
  form.querySelector(".locate-status").textContent = "";
}

async function load() {
  const r = await Portal.call("GET", "/institution/sites");
  if (r.status !== 200) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  sites = r.data.items;
  const rows = sites.map((s) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, s.name);
    Portal.cell(tr, s.address || "—");
    Portal.cell(tr, `${s.latitude.toFixed(6)}, ${s.longitude.toFixed(6)}（${DATUM[s.datum] || s.datum}）`);
    Portal.cell(tr, `${s.radius_m} 米`);
    const td = Portal.cell(tr, "");
    if (commissioner) Portal.button(td, "编辑", () => editSite(s));
    Portal.button(td, "测距", () => {
      $("distance-form").site_id.value = s.id;
      $("distance-form").scrollIntoView();
      $("distance-form").latitude.focus();
    });
    return tr;
  });
  const empty = commissioner ? "还没有教学点。请在下方添加第一个教学点。" : "还没有教学点。请联系本机构的机构专员添加。";
  Portal.fill($("site-rows"), rows, empty);
  const select = $("distance-form").site_id;
  const chosen = select.value;
  select.replaceChildren(...sites.map((s) => new Option(s.name, s.id)));
  if (chosen) select.value = chosen;
  $("distance-form").hidden = sites.length === 0;
}

async function saveSite(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    name: form.name.value.trim(),
    address: form.address.value.trim(),
    latitude: Number(form.latitude.value),
    longitude: Number(form.longitude.value),
    datum: form.datum.value,
    radius_m: Number(form.radius_m.value),
  };
  const editing = form.site_id.value;
  const r = editing
    ? await Portal.call("PUT", `/institution/sites/${editing}`, body)
    : await Portal.call("POST", "/institution/sites", body);
  if (r.status !== 200 && r.status !== 201) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  Portal.notify(editing ? `已保存教学点“${body.name}”` : `已添加教学点“${body.name}”`);
  resetSiteForm();
  await load();
}

// The browser's position is WGS-84 (GPS). Browsers give it only on https or localhost.
function locate(event) {
  const form = $(event.target.dataset.form);
  const status = form.querySelector(".locate-status");
  if (!navigator.geolocation || !window.isSecureContext) {
    status.textContent = "本浏览器无法定位（需要 https 访问）。请从地图上取点后手动输入。";
    return;
  }
  status.textContent = "正在定位……";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      form.latitude.value = position.coords.latitude.toFixed(6);
      form.longitude.value = position.coords.longitude.toFixed(6);
      form.datum.value = "wgs84";
      status.textContent = `已填入本机位置（WGS-84，精度约 ${Math.round(position.coords.accuracy)} 米）`;
    },
    (error) => {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? "未获得定位权限。请在浏览器设置中允许本网站使用位置，或手动输入坐标。"
        : "暂时无法获取位置，请稍后再试或手动输入坐标。";
    },
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

async function measure(event) {
  event.preventDefault();
  const form = event.target;
  const body = { latitude: Number(form.latitude.value), longitude: Number(form.longitude.value), datum: form.datum.value };
  const r = await Portal.call("POST", `/institution/sites/${form.site_id.value}/distance`, body);
  const out = $("distance-result");
  if (r.status !== 200) {
    out.textContent = Portal.failed(r);
    out.className = "error";
    return;
  }
  const d = r.data;
  out.textContent = `距离教学点 ${d.distance_m.toFixed(1)} 米，${d.inside ? "在" : "不在"}签到范围（${d.radius_m} 米）内`;
  out.className = d.inside ? "ok" : "error";
}

Portal.onReady(async (me) => {
  commissioner = me.role === "commissioner";
  $("site-form").hidden = !commissioner;
  $("site-form").addEventListener("submit", saveSite);
  $("site-cancel").addEventListener("click", resetSiteForm);
  $("distance-form").addEventListener("submit", measure);
  for (const b of document.querySelectorAll(".locate")) b.addEventListener("click", locate);
  await load();
});
