// 培训班: the institution's classes and their lessons; the commissioner opens and edits them.
// Times are entered and shown in Beijing time, whatever the device's own time zone.
"use strict";

const ZONE = "Asia/Shanghai";
let classes = [];
let sites = [];
let current = null; // the class whose lessons are shown
let commissioner = false;

function $(id) { return document.getElementById(id); }

// "2026-12-04T01:30:00Z" -> { day: "2026-12-04", time: "09:30" } in Beijing time.
function local(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso)).map((p) => [p.type, p.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

function beijing(day, time) { return `${day}T${time}:00+08:00`; }

function siteNames(ids) {
  return ids.map((id) => (sites.find((s) => s.id === id) || { name: `#${id}` }).name).join("、");
}

async function loadClasses() {
  const [c, s] = await Promise.all([Portal.call("GET", "/institution/classes"), Portal.call("GET", "/institution/sites")]);
  if (c.status !== 200 || s.status !== 200) {
    Portal.notify(Portal.failed(c.status !== 200 ? c : s), true);
    return;
  }
  classes = c.data.items;
  sites = s.data.items;
  const rows = classes.map((k) => {
    const tr = document.createElement("tr");
    Portal.cell(tr, k.name);
    Portal.cell(tr, k.project_type);
    Portal.cell(tr, k.occupation || "—");
    Portal.cell(tr, `${k.start_date} 至 ${k.end_date}`);
    Portal.cell(tr, siteNames(k.site_ids));
    Portal.cell(tr, `${k.enrolled}/${k.capacity}`);
    const td = Portal.cell(tr, "");
    Portal.button(td, "课次", () => showLessons(k));
    if (commissioner) Portal.button(td, "编辑", () => editClass(k));
    const link = document.createElement("a");
    link.href = `/institution/attendance?class=${k.id}`;
    link.textContent = "考勤";
    td.appendChild(link);
    return tr;
  });
  const empty = commissioner
    ? (sites.length ? "还没有培训班。请在下方开设第一个培训班。" : "还没有培训班。请先在“教学点”页面添加教学点，再开设培训班。")
    : "还没有培训班。请联系本机构的机构专员开设。";
  Portal.fill($("class-rows"), rows, empty);
  $("site-choices").replaceChildren(...sites.map((s) => {
    const label = document.createElement("label");
    label.className = "inline";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "site_ids";
    box.value = s.id;
    label.append(box, ` ${s.name}`);
    return label;
  }));
  if (!sites.length) $("site-choices").textContent = "还没有教学点：请先在“教学点”页面添加。";
  if (current) {
    const fresh = classes.find((k) => k.id === current.id);
    if (fresh) current = fresh;
  }
}

function editClass(k) {
  const form = $("class-form");
  form.class_id.value = k.id;
  for (const name of ["name", "project_type", "capacity", "start_date", "end_date"]) form[name].value = k[name];
  form.occupation.value = k.occupation || "";
  form.hold_places_for_signups.checked = Boolean(k.hold_places_for_signups);
  for (const box of form.querySelectorAll("input[name=site_ids]")) box.checked = k.site_ids.includes(Number(box.value));
  $("class-form-title").textContent = `编辑培训班：${k.name}`;
  $("class-save").textContent = "保存修改";
  $("class-cancel").hidden = false;
  form.scrollIntoView();
  form.name.focus();
}

function resetClassForm() {
  const form = $("class-form");
  form.reset();
  form.class_id.value = "";
  $("class-form-title").textContent = "开设培训班";
  $("class-save").textContent = "开设培训班";
  $("class-cancel").hidden = true;
}

async function saveClass(event) {
  event.preventDefault();
  const form = event.target;
  const siteIds = [...form.querySelectorAll("input[name=site_ids]:checked")].map((b) => Number(b.value));
  if (!siteIds.length) {
    Portal.notify("请至少选择一个教学点", true);
    return;
  }
  const body = {
    name: form.name.value.trim(),
    project_type: form.project_type.value.trim(),
    occupation: form.occupation.value.trim() || null,
    start_date: form.start_date.value,
    end_date: form.end_date.value,
    site_ids: siteIds,
    capacity: Number(form.capacity.value),
    hold_places_for_signups: form.hold_places_for_signups.checked,
  };
  const editing = form.class_id.value;
  const r = editing
    ? await Portal.call("PUT", `/institution/classes/${editing}`, body)
    : await Portal.call("POST", "/institution/classes", body);
  if (r.status !== 200 && r.status !== 201) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  Portal.notify(editing ? `已保存培训班“${body.name}”` : `已开设培训班“${body.name}”，请接着添加课次`);
  resetClassForm();
  await loadClasses();
  if (!editing) showLessons(r.data);
}

async function showLessons(k) {
  current = k;
  $("lessons").hidden = false;
  $("lessons-class").textContent = `${k.name}（${k.start_date} 至 ${k.end_date}）`;
  resetLessonForm();
  const r = await Portal.call("GET", `/institution/classes/${k.id}/lessons`);
  if (r.status !== 200) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  const rows = r.data.items.map((l) => {
    const tr = document.createElement("tr");
    const s = local(l.starts_at);
    Portal.cell(tr, s.day);
    Portal.cell(tr, s.time);
    Portal.cell(tr, local(l.ends_at).time);
    Portal.cell(tr, `${local(l.checkin_opens_at).time} - ${local(l.checkin_closes_at).time}`);
    const td = Portal.cell(tr, "");
    if (commissioner) Portal.button(td, "编辑", () => editLesson(l));
    return tr;
  });
  Portal.fill($("lesson-rows"), rows, commissioner ? "这个班还没有课次。请在下方添加。" : "这个班还没有课次。");
  $("lessons").scrollIntoView();
}

function editLesson(l) {
  const form = $("lesson-form");
  form.lesson_id.value = l.id;
  form.day.value = local(l.starts_at).day;
  form.starts.value = local(l.starts_at).time;
  form.ends.value = local(l.ends_at).time;
  form.opens.value = local(l.checkin_opens_at).time;
  form.closes.value = local(l.checkin_closes_at).time;
  $("lesson-form-title").textContent = "编辑课次";
  $("lesson-save").textContent = "保存修改";
  $("lesson-cancel").hidden = false;
}

function resetLessonForm() {
  const form = $("lesson-form");
  form.reset();
  form.lesson_id.value = "";
  if (current) form.day.value = current.start_date;
  $("lesson-form-title").textContent = "添加课次";
  $("lesson-save").textContent = "添加课次";
  $("lesson-cancel").hidden = true;
}

async function saveLesson(event) {
  event.preventDefault();
  const form = event.target;
  const day = form.day.value;
  const body = { starts_at: beijing(day, form.starts.value), ends_at: beijing(day, form.ends.value) };
  if (form.opens.value) body.checkin_opens_at = beijing(day, form.opens.value);
  if (form.closes.value) body.checkin_closes_at = beijing(day, form.closes.value);
  const editing = form.lesson_id.value;
  const path = `/institution/classes/${current.id}/lessons`;
  const r = editing ? await Portal.call("PUT", `${path}/${editing}`, body) : await Portal.call("POST", path, body);
  if (r.status !== 200 && r.status !== 201) {
    Portal.notify(Portal.failed(r), true);
    return;
  }
  Portal.notify(editing ? "已保存课次" : `已添加 ${day} 的课次`);
  await showLessons(current);
}

Portal.onReady(async (me) => {
  commissioner = me.role === "commissioner";
  $("class-form").hidden = !commissioner;
  $("lesson-form").hidden = !commissioner;
  $("class-form").addEventListener("submit", saveClass);
  $("class-cancel").addEventListener("click", resetClassForm);
  $("lesson-form").addEventListener("submit", saveLesson);
  $("lesson-cancel").addEventListener("click", resetLessonForm);
  await loadClasses();
});
