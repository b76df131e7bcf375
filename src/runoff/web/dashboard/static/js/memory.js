// Memory by dyno: one series per dyno over the chosen window, each toggled by its legend button,
// the quotas as dashed lines, and a table of peaks.
"use strict";

(function () {
  const R = window.Runoff;
  const page = R.pageData();
  const PALETTE = ["#79589f", "#408fec", "#3ba776", "#e8a33d", "#d64545", "#2fb5b5", "#a05195", "#6b7a8f", "#f08a5d", "#5470c6"];
  const selected = { quota: false };  // off at first: the axis fits the dynos' usage

  function label(series, index, all) {
    const twins = all.filter((s) => s.dyno === series.dyno);
    return twins.length > 1 ? `${series.dyno} (#${twins.indexOf(series) + 1})` : series.dyno;
  }

  function draw(body) {
    const section = document.getElementById("plot-memory-compare");
    const chart = R.chartFor(section);
    const items = body.series.map((s, i, all) => ({ name: label(s, i, all), color: PALETTE[i % PALETTE.length], data: s }));
    if (chart) {
      const quotas = [...new Set(body.series.map((s) => s.quota_mb))];
      const series = items.map((item) => ({
        name: item.name, type: "line", color: item.color, sampling: "lttb",
        showSymbol: item.data.points.length < 60, symbolSize: 4,
        data: item.data.points,
      }));
      series.push({
        name: "quota", type: "line", color: "#d64545", data: [],
        markLine: { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#d64545" },
          label: { formatter: (p) => `quota ${p.value} MB` }, data: quotas.map((q) => ({ yAxis: q })) },
      });
      chart.setOption({
        animation: false,
        grid: { left: 56, right: 90, top: 24, bottom: 56 },
        legend: { show: false, data: series.map((s) => s.name), selected: Object.assign({}, selected) },
        // the samples' own span (the window only chooses which samples): short runs stay visible
        xAxis: { type: "time", min: "dataMin", max: "dataMax",
          axisLabel: { hideOverlap: true, formatter: (v) => R.formatTime(v, true).slice(11, 19) } },
        dataZoom: [{ type: "inside", xAxisIndex: 0 }, { type: "slider", xAxisIndex: 0, height: 18, bottom: 4 }],
        yAxis: { type: "value", name: "MB", min: 0 },
        tooltip: {
          trigger: "axis", confine: true,
          formatter: (params) => R.tooltip(R.formatTime(params[0].value[0], true),
            params.map((p) => [p.seriesName, `${p.value[1]} MB`, p.color])),
        },
        series,
      }, { notMerge: true });
      R.legend(section, chart, [...items, { name: "quota", color: "#d64545" }], selected);
      chart.on("click", (p) => {
        const item = items.find((i) => i.name === p.seriesName);
        if (item) window.location.href = page.dynoUrl + encodeURIComponent(item.data.dyno);
      });
      R.message(section, items.length ? "" : "No runtime samples in this window: samples are taken while dynos run.");
      section.dataset.dynos = String(items.length);
      R.drawn(section);
    }
    const rows = items.map((item) => {
      const s = item.data;
      const share = s.quota_mb ? `${Math.round((100 * s.peak_mb) / s.quota_mb)} %` : "—";
      return R.el("tr", {},
        R.el("td", {}, R.el("a", { href: page.dynoUrl + encodeURIComponent(s.dyno) }, item.name)),
        R.el("td", {}, s.type), R.el("td", {}, R.el("span", { class: `badge state-${s.label.replace(" ", "-")}` }, s.label)),
        R.el("td", { class: "right" }, s.peak_mb.toFixed(1)), R.el("td", { class: "right" }, s.quota_mb.toFixed(0)),
        R.el("td", { class: "right" }, share));
    });
    document.querySelector("#memory-peaks tbody").replaceChildren(...rows);
  }

  R.getJSON(page.dataUrl).then((reply) => {
    if (reply.ok) draw(reply.body);
    else R.message(document.getElementById("plot-memory-compare"), (reply.body && reply.body.message) || "Could not load the samples.");
  });
})();
