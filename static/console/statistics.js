// Statistics (统计分析): figures per region against the year's targets, two inline-SVG charts,
// and the voucher exports (XLSX for people, CSV for tools).
"use strict";

(() => {
const { $, call, failed, notify, cell, yuan } = Frame;

function statsQuery() {
  const month = $("stats-month").value;
  return `year=${$("stats-year").value}` + (month ? `&month=${month}` : "");
}

let statsRequest = 0;

async function loadStatistics(event) {
  if (event) event.preventDefault();
  const mine = ++statsRequest;
  const result = await call("GET", "/admin/statistics?" + statsQuery());
  if (mine !== statsRequest) return; // a later query was asked for meanwhile: show only that one
  if (result.status !== 200) return notify(failed(result), true);
  const regions = [result.data.region, ...result.data.children];
  $("stats-rows").replaceChildren(...regions.map((r) => {
    const tr = document.createElement("tr");
    const f = r.figures;
    for (const v of [r.name, f.issued, f.claimed, f.enrolled, f.completed, f.settled, f.expired,
      `${f.checkins}（${f.manual_checkins}）`, f.signups ?? 0,
      f.evaluations ? `${f.evaluations}（${f.evaluation_score.toFixed(1)}）` : "0", yuan(f.subsidy_fen),
      r.issue_target || "—", r.use_target || "—"]) cell(tr, v);
    return tr;
  }));
  const names = regions.map((r) => r.name);
  window.pxqCharts.barChart($("chart-flows"), names, [
    { name: "发放", color: "#c7000b", values: regions.map((r) => r.figures.issued) },
    { name: "用券", color: "#1f6fb2", values: regions.map((r) => r.figures.enrolled) },
    { name: "结算", color: "#118a3a", values: regions.map((r) => r.figures.settled) },
  ]);
  window.pxqCharts.rateChart($("chart-targets"), regions.map((r) => ({
    name: r.name,
    rates: [
      { name: "发券", value: r.issue_rate, color: "#c7000b" },
      { name: "用券", value: r.use_rate, color: "#1f6fb2" },
    ],
  })));
}

async function exportFile(kind) {
  notify("正在导出……");
  const r = await Frame.download(`/admin/exports/vouchers.${kind}?` + statsQuery(), `培训券明细-${$("stats-year").value}.${kind}`);
  if (r.status !== 200) return notify(Frame.failed(r), true);
  notify("导出完成");
}

Frame.onReady(async () => {
  $("stats-year").value = new Date().getFullYear();
  for (let m = 1; m <= 12; m++) $("stats-month").appendChild(new Option(`${m}月`, m));
  $("stats-form").addEventListener("submit", loadStatistics);
  $("export").addEventListener("click", () => exportFile("csv"));
  $("export-xlsx").addEventListener("click", () => exportFile("xlsx"));
  await loadStatistics();
});
})();
