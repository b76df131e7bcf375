// A dyno's page: its memory and load from the runtime samples, and its logs (live while it
// runs, through the dashboard's redacting event stream).
"use strict";

(function () {
  const R = window.Runoff;
  const page = R.pageData();
  const POLL_MS = 5000;
  // the quota is off at first so that the axis fits what the dyno uses; its button shows it
  const selected = { memory: { quota: false }, load: {} };
  const MEMORY = [["memory_total", "total", "#79589f"], ["memory_rss", "rss", "#408fec"],
    ["memory_cache", "cache", "#3ba776"], ["memory_swap", "swap", "#e8a33d"], ["memory_quota", "quota", "#d64545"]];
  const LOAD = [["load_avg_1m", "1m", "#79589f"], ["load_avg_5m", "5m", "#408fec"], ["load_avg_15m", "15m", "#3ba776"]];

  function drawSeries(id, fields, samples, unit) {
    const section = document.getElementById(id);
    const chart = R.chartFor(section);
    if (!chart) return;
    const key = id === "plot-memory" ? "memory" : "load";
    const series = fields.map(([field, name, color]) => ({
      name, type: "line", color, showSymbol: samples.time.length < 2, sampling: "lttb",
      lineStyle: name === "quota" ? { type: "dashed", width: 1 } : undefined,
      data: samples.time.map((t, i) => [t, samples[field][i]]),
    }));
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 20, top: 16, bottom: 28 },
      legend: { show: false, data: series.map((s) => s.name), selected: Object.assign({}, selected[key]) },
      xAxis: { type: "time", axisLabel: { hideOverlap: true, formatter: (v) => R.formatTime(v, true).slice(11, 19) } },
      yAxis: { type: "value", name: unit, min: 0 },
      tooltip: {
        trigger: "axis", confine: true,
        formatter: (params) => R.tooltip(R.formatTime(params[0].value[0], true),
          params.map((p) => [p.seriesName, `${p.value[1]} ${unit}`, p.color])),
      },
      series,
    }, { notMerge: true });
    R.legend(section, chart, fields.map(([, name, color]) => ({ name, color })), selected[key]);
    section.dataset.samples = String(samples.time.length);
    R.message(section, samples.time.length ? "" : "No runtime samples (yet): they are taken every few seconds while the dyno runs.");
    R.drawn(section);
  }

  function drawSamples(samples) {
    drawSeries("plot-memory", MEMORY, samples, "MB");
    drawSeries("plot-load", LOAD, samples, "");
  }

  // logs ----------------------------------------------------------------------------------
  const view = document.getElementById("log-lines");
  let stream = null;

  function appendLine(line) {
    const nearBottom = view.scrollHeight - view.scrollTop - view.clientHeight < 40;
    view.appendChild(R.el("div", { class: `log-line log-${line.source}`, dataset: { id: line.id } },
      R.el("span", { class: "log-time" }, line.time), " ",
      R.el("span", { class: "log-source" }, `${line.source}[${line.dyno}]:`), " ",
      R.el("span", { class: "log-message" }, line.message)));
    if (nearBottom) view.scrollTop = view.scrollHeight;
    document.getElementById("logs-empty").hidden = true;
  }

  function openLogs() {
    stream = new EventSource(`${page.dataUrl}/logs`);
    stream.onmessage = (event) => appendLine(JSON.parse(event.data));
    stream.addEventListener("end", () => {
      stream.close();
      document.getElementById("logs").dataset.state = "complete";
      document.getElementById("logs-empty").hidden = view.childElementCount > 0;
    });
    stream.onerror = () => { document.getElementById("logs").dataset.state = "reconnecting"; };
    stream.onopen = () => { document.getElementById("logs").dataset.state = page.running ? "live" : "loading"; };
    document.getElementById("logs-live").hidden = !page.running;
  }

  // while it runs: poll its state and samples; once it ended, reload for the final picture
  async function poll() {
    const reply = await R.getJSON(page.dataUrl);
    if (!reply.ok) return;
    drawSamples(reply.body.samples);
    if (reply.body.dyno.ended_at !== null) {
      setTimeout(() => { if (stream) stream.close(); window.location.reload(); }, 2000);
      return;
    }
    setTimeout(poll, POLL_MS);
  }

  drawSamples(page.samples);
  openLogs();
  if (page.running) setTimeout(poll, POLL_MS);
})();
