// Charts drawn as inline SVG in the page: no chart library, no CDN, works offline.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// The top of a count axis with four gridlines: each step a whole, round number (1, 2, 3 or 5
// times a power of ten), so a count never gets a 0.25 tick, even when every count is 0.
function niceMax(value) {
  const raw = Math.max(value, 1) / 4;
  const power = Math.pow(10, Math.max(0, Math.floor(Math.log10(raw))));
  const step = [1, 2, 3, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step * 4;
}

// Grouped vertical bars: one group per category, one bar per series.
function barChart(container, categories, series, width = 440, height = 240) {
  const pad = { left: 48, right: 8, top: 24, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart bar-chart" });
  svg.appendChild(svgEl("title", {}, series.map((s) => s.name).join(" / ")));
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + plotH - (plotH * i) / 4;
    svg.appendChild(svgEl("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#e5e5e5" }));
    svg.appendChild(svgEl("text", { x: pad.left - 4, y: y + 4, "text-anchor": "end", class: "tick" }, String((max * i) / 4)));
  }
  const groupW = plotW / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  categories.forEach((category, c) => {
    const x0 = pad.left + c * groupW + groupW * 0.1;
    series.forEach((s, k) => {
      const value = s.values[c] || 0;
      const h = (plotH * value) / max;
      const bar = svgEl("rect", {
        x: x0 + k * barW, y: pad.top + plotH - h, width: Math.max(1, barW - 2), height: h,
        fill: s.color, class: "bar", "data-series": s.name, "data-category": category, "data-value": value,
      });
      bar.appendChild(svgEl("title", {}, `${category} ${s.name}：${value}`));
      svg.appendChild(bar);
    });
    svg.appendChild(svgEl("text", { x: x0 + groupW * 0.4, y: height - pad.bottom + 14, "text-anchor": "middle" }, category));
  });
  const legend = svgEl("g", { class: "legend" });
  series.forEach((s, k) => {
    legend.appendChild(svgEl("rect", { x: pad.left + k * 90, y: 6, width: 10, height: 10, fill: s.color }));
    legend.appendChild(svgEl("text", { x: pad.left + k * 90 + 14, y: 15 }, s.name));
  });
  svg.appendChild(legend);
  container.replaceChildren(svg);
  return svg;
}

// Horizontal bars of completion rates (0..1, shown up to 100 %), one row per category and rate.
function rateChart(container, rows, width = 440) {
  const rowH = 18;
  const left = 110;
  const plotW = width - left - 50;
  const lines = rows.flatMap((r) => r.rates.map((rate) => ({ label: `${r.name} ${rate.name}`, ...rate })));
  const height = Math.max(40, lines.length * (rowH + 6) + 10);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart rate-chart" });
  svg.appendChild(svgEl("title", {}, "目标完成率"));
  lines.forEach((line, i) => {
    const y = 6 + i * (rowH + 6);
    svg.appendChild(svgEl("text", { x: left - 6, y: y + 13, "text-anchor": "end" }, line.label));
    svg.appendChild(svgEl("rect", { x: left, y, width: plotW, height: rowH, fill: "#eee" }));
    const shown = line.value === null ? 0 : Math.min(1, line.value);
    svg.appendChild(svgEl("rect", { x: left, y, width: plotW * shown, height: rowH, fill: line.color, class: "rate" }));
    const text = line.value === null ? "无目标" : `${(line.value * 100).toFixed(1)}%`;
    svg.appendChild(svgEl("text", { x: left + plotW + 4, y: y + 13 }, text));
  });
  container.replaceChildren(svg);
  return svg;
}

window.pxqCharts = { barChart, rateChart };
