// My training archive (我的培训档案): certificates, classes and vouchers.
"use strict";

H5.onReady(async () => {
  const { $, call, failed, say, fill, card } = H5;
  const STATUS = window.H5Labels.STATUS;
  const r = await call("GET", "/archive");
  if (r.status !== 200) return say(failed(r));
  const a = r.data;
  const date = (iso) => new Date(iso).toLocaleDateString("zh-CN");
  $("holder").textContent = `${a.holder_name}（${a.id_number}）`;
  fill($("certificates"), a.certificates.map((c) => card(`${c.kind}${c.level ? " · " + c.level : ""}`, [
    `编号 ${c.number}${c.occupation ? " · " + c.occupation : ""}`,
    `${c.institution || ""} ${c.class_name || ""} · ${date(c.issued_at)}`,
  ])), "暂无证书");
  fill($("classes"), a.classes.map((c) => card(c.class_name, [
    `${c.institution} · ${c.project_type}${c.occupation ? " · " + c.occupation : ""}`,
    `${c.start_date} 至 ${c.end_date} · 出勤 ${c.attended}/${c.lessons} 次`,
  ])), "暂无培训经历");
  fill($("vouchers"), a.vouchers.map((v) => card(v.title, [`${STATUS[v.status] || v.status} · 券号 ${v.code}`])), "暂无培训券");
});
