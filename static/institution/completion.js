// 结业与补贴: upload a class's completion and assessment results (the row-by-row report in the
// file's own row numbers), then follow each trainee's subsidy claim.
"use strict";

const TYPES = { xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", csv: "text/csv", json: "application/json" };
let commissioner = false;
let ended = false;

function $(id) { return document.getElementById(id); }
function classId() { return $("class-select").value; }

async function loadClasses() {
  const classes = await Portal.chooseClass($("class-select"));
  if (!classes.length) {
    $("class-state").textContent = "还没有培训班。请先在“培训班”页面开设培训班。";
    $("upload-form").hidden = true;
    return;
  }
  await loadClaims();
}

async function loadClaims() {
  const r = await Portal.call("GET", `/institution/classes/${classId()}/claims`);
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  const d = r.data;
  ended = d.ended;
  $("class-state").textContent = d.ended
    ? `培训班已于 ${d.end_date} 结束，可以上传结业考核结果。`
    : `培训班 ${d.end_date} 结束，结束后才能上传结业考核结果。`;
  $("class-state").className = d.ended ? "ok" : "hint";
  $("upload-form").hidden = !commissioner;
  $("upload-form").querySelector("button[type=submit]").disabled = !d.ended;
  $("claim-totals").textContent = d.items.length
    ? `待审核 ${Portal.yuan(d.pending_fen)} 元，已通过 ${Portal.yuan(d.approved_fen)} 元`
    : "";
  Portal.fill($("claim-rows"), d.items.map((c) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, c.name);
    Portal.cell(tr, c.voucher_code);
    Portal.cell(tr, c.passed ? "合格" : "不合格");
    Portal.cell(tr, Portal.yuan(c.subsidy_fen));
    Portal.cell(tr, c.status_text + (c.reason ? `：${c.reason}` : "")).className = `status ${c.status}`;
    Portal.cell(tr, Portal.localTime(c.submitted_at));
    return tr;
  }), d.ended ? "还没有提交结业考核结果。请下载模板，填写后上传。" : "培训班结束后，在这里上传结业考核结果并查看补贴审核状态。");
}

async function upload(event) {
  event.preventDefault();
  const file = event.target.file.files[0];
  if (!file) return Portal.notify("请选择结果文件", true);
  const ext = file.name.split(".").pop().toLowerCase();
  if (!TYPES[ext]) return Portal.notify("只支持 .xlsx、.csv 或 .json 文件", true);
  const r = await Portal.call("POST", `/institution/classes/${classId()}/completion`, await file.arrayBuffer(), TYPES[ext]);
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  const report = r.data;
  $("report").hidden = false;
  $("report-summary").textContent = `共 ${report.total} 名学员：${report.created} 名已提交审核，${report.rejected} 名未通过检查${report.rejected ? "（见下表，修改后可重新上传这些行）" : ""}。`;
  Portal.fill($("problem-rows"), report.problems.map((p) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, ext === "json" ? `第 ${p.line} 条` : `第 ${p.line} 行`);
    Portal.cell(tr, p.message);
    return tr;
  }), "全部通过检查。");
  Portal.notify(report.created ? `已提交 ${report.created} 名学员的结业结果，等待人社部门审核` : "没有提交新的结业结果", !report.created);
  event.target.reset();
  await loadClaims();
}

async function template() {
  const r = await Portal.download(`/institution/classes/${classId()}/completion-template.xlsx`, "结业考核结果.xlsx");
  if (r.status !== 200) Portal.notify(Portal.failed(r), true);
}

Portal.onReady(async (me) => {
  commissioner = me.role === "commissioner";
  $("upload-form").hidden = true;
  $("class-select").addEventListener("change", () => { $("report").hidden = true; loadClaims(); });
  $("upload-form").addEventListener("submit", upload);
  $("template").addEventListener("click", template);
  await loadClasses();
});
