// 学员与考勤: a class's enrolled trainees (masked), who checked in at a lesson and how, live
// counts, manual check-in (补签) with a reason, and the attendance sheet as XLSX.
"use strict";

const REFRESH_MS = 5000;
const ZONE = { timeZone: "Asia/Shanghai", hour12: false };
let data = null;
let timer = null;

function $(id) { return document.getElementById(id); }
function when(iso) { return new Date(iso).toLocaleString("zh-CN", { ...ZONE, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }); }
function time(iso) { return new Date(iso).toLocaleTimeString("zh-CN", { ...ZONE, hour: "2-digit", minute: "2-digit" }); }

async function loadClasses() {
  const classes = await Portal.chooseClass($("class-select"));
  if (!classes.length) {
    $("counts").textContent = "还没有培训班。请先在“培训班”页面开设培训班，学员用券报名后会显示在这里。";
    $("filters").hidden = true;
    return;
  }
  await load(true);
}

// The lesson shown: the one chosen, else the latest that has started, else the first.
function chosenLesson(fresh) {
  const select = $("lesson-select");
  const lessons = data.lessons;
  const kept = !fresh && lessons.find((l) => String(l.id) === select.value);
  select.replaceChildren(...lessons.map((l, i) => new Option(`第${i + 1}次课 ${when(l.starts_at)}`, l.id)));
  if (kept) select.value = kept.id;
  else {
    const started = lessons.filter((l) => new Date(l.starts_at) <= new Date());
    const pick = started[started.length - 1] || lessons[0];
    if (pick) select.value = pick.id;
  }
  return lessons.find((l) => String(l.id) === select.value) || null;
}

async function load(fresh) {
  const classId = $("class-select").value;
  if (!classId) return;
  const q = $("search").value.trim();
  const r = await Portal.call("GET", `/institution/classes/${classId}/attendance${q ? "?q=" + encodeURIComponent(q) : ""}`);
  if (r.status !== 200) return Portal.notify(Portal.failed(r), true);
  data = r.data;
  const lesson = chosenLesson(fresh);
  render(lesson);
}

function render(lesson) {
  const enrolled = data.enrolled;
  $("counts").textContent = lesson
    ? `本次课已签到 ${lesson.checked_in} / 已报名 ${enrolled}（人数上限 ${data.capacity}）`
    : `已报名 ${enrolled}（人数上限 ${data.capacity}）。这个班还没有课次，请在“培训班”页面添加。`;
  const started = lesson && new Date(lesson.starts_at) <= new Date();
  const rows = data.trainees.map((t) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, t.name);
    Portal.cell(tr, t.id_number);
    Portal.cell(tr, t.voucher_code);
    const mark = lesson && t.marks.find((m) => m.lesson_id === lesson.id);
    const status = mark
      ? `${mark.method_text} ${time(mark.at)}` + (mark.method === "manual" ? `（${mark.reason}，${mark.by || "机构人员"}）` : "")
      : lesson ? (started ? "未签到" : "未开始") : "—";
    Portal.cell(tr, status).className = mark ? (mark.method === "manual" ? "manual" : "ok") : "";
    Portal.cell(tr, `${t.attended}/${t.held}`);
    const td = Portal.cell(tr, "");
    if (lesson && started && !mark) Portal.button(td, "补签", () => openManual(t, lesson));
    return tr;
  });
  const q = $("search").value.trim();
  Portal.fill($("trainee-rows"), rows, q ? `没有姓名包含“${q}”的学员。` : "还没有学员报名。学员出示培训券、在“扫码核验”页选择“用券（报名）”扫码后，会显示在这里。");
  Portal.fill($("lesson-rows"), data.lessons.map((l, i) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, `第${i + 1}次课`);
    Portal.cell(tr, `${when(l.starts_at)} - ${time(l.ends_at)}`);
    Portal.cell(tr, `${l.checked_in} / ${enrolled}`);
    return tr;
  }), "这个班还没有课次。");
}

function openManual(trainee, lesson) {
  const form = $("manual-form");
  form.reset();
  form.voucher_code.value = trainee.voucher_code;
  form.dataset.lesson = lesson.id;
  $("manual-who").textContent = `${trainee.name}（${trainee.voucher_code}）· ${when(lesson.starts_at)} 的课`;
  form.hidden = false;
  form.reason.focus();
}

async function submitManual(event) {
  event.preventDefault();
  const form = event.target;
  const reason = form.reason.value.trim();
  if (!reason) {
    Portal.notify("请填写补签原因", true);
    form.reason.focus();
    return;
  }
  const body = { lesson_id: Number(form.dataset.lesson), voucher_code: form.voucher_code.value, reason };
  const r = await Portal.call("POST", `/institution/classes/${$("class-select").value}/attendance/manual`, body);
  if (r.status !== 201) return Portal.notify(Portal.failed(r), true);
  Portal.notify(`已补签：${$("manual-who").textContent}`);
  form.hidden = true;
  await load(false);
}

async function exportSheet() {
  const r = await Portal.download(`/institution/classes/${$("class-select").value}/attendance.xlsx`, "考勤表.xlsx");
  if (r.status !== 200) Portal.notify(Portal.failed(r), true);
}

Portal.onReady(async () => {
  $("class-select").addEventListener("change", () => { $("manual-form").hidden = true; load(true); });
  $("lesson-select").addEventListener("change", () => render(data.lessons.find((l) => String(l.id) === $("lesson-select").value)));
  let typing = null;
  $("search").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => load(false), 300); });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); load(false); });
  $("manual-form").addEventListener("submit", submitManual);
  $("manual-cancel").addEventListener("click", () => { $("manual-form").hidden = true; });
  $("export").addEventListener("click", exportSheet);
  await loadClasses();
  // Live counts while the page is open (a class checking in at the door).
  timer = setInterval(() => { if (!document.hidden && data) load(false); }, REFRESH_MS);
});
