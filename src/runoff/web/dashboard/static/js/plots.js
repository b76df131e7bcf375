// The One-off Dyno Metrics page: four plots over one range, one filter for all of them (kept in
// the URL), per-plot legend buttons, the filter language's error shown in place, the runs table.
"use strict";

(function () {
  performance.mark("runoff:plots-script");  // the chart library is loaded and run by now
  const R = window.Runoff;
  const page = R.pageData();
  const PLOTS = ["events", "execution-time", "throughput", "concurrency"];
  const ENDS_NOW = new Set(["3h", "24h", "72h", "7d"]);
  const REFRESH_MS = 60000;
  const COLORS = {
    starting: "#9aa5b8", up: "#408fec", stopping: "#e8a33d", complete: "#79589f",
    crashed: "#d64545", exited: "#3f3f44",
    succeeded: "#3ba776", failed: "#d64545", "timed out": "#e8a33d", running: "#408fec",
  };
  const EVENT_KINDS = ["starting", "up", "stopping", "complete", "crashed", "exited"];
  const state = { filter: page.filter || "", range: page.range, controller: null, timer: null };
  const selected = Object.fromEntries(PLOTS.map((p) => [p, {}]));  // legend state per plot
  const sections = Object.fromEntries(PLOTS.map((p) => [p, document.getElementById(`plot-${p}`)]));
  const charts = {};
  window.runoffCharts = charts;  // the chart instances, for tests and debugging

  const toMs = (iso) => Date.parse(iso);

  function windowOf(plot) {
    const buckets = plot.buckets;
    const res = plot.resolution_seconds * 1000;
    return [toMs(buckets[0].time), toMs(buckets[buckets.length - 1].time) + res];
  }

  function timeAxis(plot) {
    const [min, max] = windowOf(plot);
    return {
      type: "time", min, max,
      // hours and minutes; with the day ("11-23 06:00") when the range spans days
      axisLabel: { hideOverlap: true, formatter: (v) => R.formatTime(v).slice(max - min > 86400000 ? 5 : 11, 16) },
      splitLine: { show: false },
    };
  }

  function base(plot, name, series, extra) {
    const names = series.map((s) => s.name);
    return Object.assign({
      animation: false,
      grid: { left: 56, right: 24, top: 28, bottom: 28 },
      legend: { show: false, data: names, selected: Object.assign({}, selected[name]) },
      xAxis: timeAxis(plot),
      tooltip: { trigger: "axis", confine: true },
      series,
    }, extra || {});
  }

  function axisTooltip(unit) {
    return (params) => {
      const first = Array.isArray(params) ? params[0] : params;
      const rows = (Array.isArray(params) ? params : [params]).map((p) => {
        const value = p.value[1];
        return [p.seriesName, value === null ? "—" : `${value}${unit}`, p.color];
      });
      return R.tooltip(R.formatTime(first.value[0]), rows);
    };
  }

  // Execution Time: min, mean, p50, p95, max of the runs that ended in each bucket.
  function executionTime(plot) {
    const fields = [["max", "#d64545"], ["p95", "#e8a33d"], ["p50", "#79589f"], ["mean", "#408fec"], ["min", "#3ba776"]];
    const series = fields.map(([field, color]) => ({
      name: field, type: "line", color, showSymbol: true, symbolSize: 5, connectNulls: false,
      data: plot.buckets.map((b) => [toMs(b.time), b[field]]),
    }));
    const option = base(plot, "execution-time", series, {
      yAxis: { type: "value", name: "seconds", nameTextStyle: { align: "left" }, min: 0 },
    });
    option.tooltip.formatter = axisTooltip(" s");
    return { option, legend: fields.map(([name, color]) => ({ name, color })) };
  }

  // Throughput: runs that ended in each bucket by exit status 0, null (timed out), > 0 (failed).
  function throughput(plot) {
    const fields = [
      ["succeeded", "0 · succeeded", "#3ba776"],
      ["timed_out", "null · timed out", "#e8a33d"],
      ["failed", "> 0 · failed", "#d64545"],
    ];
    const series = fields.map(([field, name, color]) => ({
      name, type: "bar", stack: "runs", color, barCategoryGap: "15%", large: true,
      data: plot.buckets.map((b) => [toMs(b.time) + plot.resolution_seconds * 500, b[field]]),
    }));
    const option = base(plot, "throughput", series, {
      yAxis: { type: "value", name: "dynos", minInterval: 1, nameTextStyle: { align: "left" } },
    });
    option.tooltip.formatter = axisTooltip("");
    return { option, legend: fields.map(([, name, color]) => ({ name, color })) };
  }

  // Concurrency: the most dynos running at one instant of each bucket, and the mean.
  function concurrency(plot) {
    const fields = [["max", "#79589f"], ["mean", "#408fec"]];
    const series = fields.map(([field, color]) => ({
      name: field, type: "line", color, showSymbol: false, step: field === "max" ? "start" : false,
      areaStyle: field === "max" ? { opacity: 0.08 } : undefined,
      data: plot.buckets.map((b) => [toMs(b.time), b[field]]),
    }));
    const option = base(plot, "concurrency", series, {
      yAxis: { type: "value", name: "dynos", minInterval: 1, nameTextStyle: { align: "left" } },
    });
    option.tooltip.formatter = axisTooltip("");
    return { option, legend: fields.map(([name, color]) => ({ name, color })) };
  }

  // Events: one row per dyno (newest on top), its lifetime as a bar coloured by how it ended,
  // and one marker per lifecycle event; a click opens the dyno's page.
  function events(plot) {
    const [, windowEnd] = windowOf(plot);
    const runs = new Map();
    for (const bucket of plot.buckets) {
      for (const e of bucket.events) {
        const at = toMs(e.time);
        const run = runs.get(e.name) || { name: e.name, start: at, end: null, status: null, exited: false };
        run.start = Math.min(run.start, at);
        if (e.event === "exited") { run.end = at; run.status = e.exit_status; run.exited = true; }
        runs.set(e.name, run);
        (run.events = run.events || []).push([at, e]);
      }
    }
    const ordered = [...runs.values()].sort((a, b) => a.start - b.start);
    const names = ordered.map((r) => r.name);
    const outcome = (r) => (!r.exited ? "running" : r.status === null ? "timed out" : r.status === 0 ? "succeeded" : "failed");
    const lifetime = {
      name: "lifetime", type: "custom", color: "#c9b8dd",
      renderItem: (params, api) => {
        const y = api.value(0);
        const start = api.coord([api.value(1), y]);
        const end = api.coord([api.value(2), y]);
        const height = Math.max(2, api.size([0, 1])[1] * 0.35);
        return {
          type: "rect",
          shape: { x: start[0], y: start[1] - height / 2, width: Math.max(2, end[0] - start[0]), height },
          style: { fill: COLORS[ordered[params.dataIndex].label], opacity: 0.35 },
        };
      },
      encode: { y: 0, x: [1, 2] },
      data: ordered.map((r) => {
        r.label = outcome(r);
        return [r.name, r.start, r.end === null ? Math.min(Date.now(), windowEnd) : r.end, r.label];
      }),
    };
    const markers = EVENT_KINDS.map((kind) => ({
      name: kind, type: "scatter", color: COLORS[kind], symbolSize: kind === "exited" ? 8 : 6,
      symbol: kind === "exited" ? "diamond" : "circle", large: true, largeThreshold: 4000,
      data: [],
    }));
    for (const run of ordered) {
      for (const [at, e] of run.events) {
        const marker = markers[EVENT_KINDS.indexOf(e.event)];
        if (marker) marker.data.push([at, e.name, e.exit_status === null ? "null" : String(e.exit_status), e.event]);
      }
    }
    const series = [lifetime, ...markers];
    const option = base(plot, "events", series, {
      grid: { left: 120, right: 40, top: 10, bottom: 28 },
      yAxis: { type: "category", data: names, axisTick: { show: false }, axisLabel: { fontSize: 11 } },
      tooltip: { trigger: "item", confine: true, formatter: eventTooltip },
    });
    if (names.length > 20) {
      option.dataZoom = [
        { type: "slider", yAxisIndex: 0, right: 8, width: 14, startValue: names.length - 20, endValue: names.length - 1, showDetail: false },
        { type: "inside", yAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true },
      ];
    }
    const legend = [{ name: "lifetime", color: "#c9b8dd" }, ...EVENT_KINDS.map((k) => ({ name: k, color: COLORS[k] }))];
    return { option, legend, runs: names.length, count: markers.reduce((n, m) => n + m.data.length, 0) };
  }

  function eventTooltip(p) {
    if (p.seriesName === "lifetime") {
      const [name, start, end, label] = p.value;
      return R.tooltip(name, [["state", label], ["from", R.formatTime(start, true)],
        ["to", R.formatTime(end, true)], ["for", R.formatDuration((end - start) / 1000)]]);
    }
    const [at, name, status, event] = p.value;
    const rows = [["event", event], ["time", R.formatTime(at, true)]];
    if (event === "exited") rows.push(["exit status", status]);
    return R.tooltip(name, rows);
  }

  const BUILDERS = { events, "execution-time": executionTime, throughput, concurrency };
  const RESOLUTIONS = { 60: "1-minute resolution", 600: "10-minute resolution", 1800: "30-minute resolution", 3600: "1-hour resolution" };

  function draw(name, plot) {
    const section = sections[name];
    const started = performance.now();
    const chart = charts[name] || (charts[name] = R.chartFor(section));
    if (!chart) return;
    const built = BUILDERS[name](plot);
    chart.setOption(built.option, { notMerge: true });
    performance.measure(`runoff:draw:${name}`, { start: started });  // for the benchmark
    R.legend(section, chart, built.legend, selected[name]);
    section.querySelector(".resolution").textContent = RESOLUTIONS[plot.resolution_seconds] || "";
    section.dataset.range = plot.range;
    section.dataset.filter = state.filter;
    if (name === "events") {
      section.dataset.runs = String(built.runs);
      section.dataset.events = String(built.count);
      R.message(section, plot.truncated ? "Showing the newest 2,000 events: narrow the filter or the range to see all." :
        built.count === 0 ? "No one-off dyno events in this range." : "");
    } else {
      R.message(section, "");
    }
    if (name === "events" && !chart.__runoffClick) {
      chart.__runoffClick = true;
      chart.on("click", (p) => {
        const dyno = p.seriesName === "lifetime" ? p.value[0] : p.value[1];
        window.location.href = page.dynoUrl + encodeURIComponent(dyno);
      });
    }
    R.drawn(section);
  }

  function showFilterError(body) {
    const box = document.getElementById("filter-error");
    const input = document.getElementById("filter");
    if (!body) {
      box.hidden = true;
      input.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      return;
    }
    box.querySelector(".filter-text").textContent = state.filter;
    const column = body.column || 1;
    box.querySelector(".filter-caret").textContent = " ".repeat(Math.max(0, column - 1)) + "^";
    box.querySelector(".filter-reason").textContent = `Column ${column}: ${body.reason || body.message}`;
    box.dataset.column = String(column);
    box.dataset.reason = body.reason || body.message;
    box.hidden = false;
    input.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
  }

  function query() {
    const params = new URLSearchParams({ range: state.range });
    if (state.filter) params.set("filter", state.filter);
    return params.toString();
  }

  // the answers prefetch.js asked for, once, if the view is still the one it asked about
  function prefetched(key) {
    const early = window.runoffPrefetch;
    if (!early || early.query !== query()) return undefined;
    const found = key === "runs" ? early.runs : early.plots[key];
    if (key === "runs") early.runs = undefined; else early.plots[key] = undefined;
    return found;
  }

  async function loadPlot(name, signal) {
    const section = sections[name];
    const response = prefetched(name);
    const reply = await R.getJSON(`${page.dataUrl}/${name}?${query()}`, { signal, response });
    if (reply.ok) return draw(name, reply.body);
    section.dataset.state = "stale";
    if (reply.status === 401) return R.message(section, "Your session has ended: reload the page to log in again.");
    if (reply.body && reply.body.column) return showFilterError(reply.body);
    R.message(section, (reply.body && reply.body.message) || `The plot could not be loaded (HTTP ${reply.status}).`);
  }

  async function loadRuns(signal) {
    const response = prefetched("runs");
    const reply = await R.getJSON(`${page.dataUrl}/runs?limit=50&${query()}`, { signal, response });
    if (!reply.ok) return;
    const body = document.querySelector("#runs-table tbody");
    body.replaceChildren(...reply.body.map(runRow));
    document.getElementById("runs-empty").hidden = reply.body.length > 0;
    document.getElementById("runs").dataset.count = String(reply.body.length);
  }

  function runRow(run) {
    const exit = run.exit_status === null ? R.el("span", { class: "muted" }, "—") :
      R.el("code", { class: `exit exit-${run.exit_status === 0 ? "zero" : "nonzero"}` }, run.exit_status);
    return R.el("tr", {},
      R.el("td", {}, R.el("a", { class: "dyno-link", href: page.dynoUrl + encodeURIComponent(run.name) }, run.name)),
      R.el("td", {}, R.el("code", { class: "command" }, run.command)),
      R.el("td", {}, run.type), R.el("td", {}, run.size),
      R.el("td", {}, R.el("span", { class: `badge state-${run.state.replace(" ", "-")}` }, run.state)),
      R.el("td", {}, exit), R.el("td", {}, R.formatTime(run.created_at)),
      R.el("td", { class: "right" }, R.formatDuration(run.duration_seconds)));
  }

  // quiet: a periodic refresh, which leaves the plots as they are until the new data is in
  function load(quiet) {
    if (state.controller) state.controller.abort();
    const controller = (state.controller = new AbortController());
    if (!quiet) for (const name of PLOTS) sections[name].dataset.state = "loading";
    showFilterError(null);
    const url = `${page.pageUrl}?${query()}`;
    if (url !== window.location.pathname + window.location.search) history.replaceState(null, "", url);
    const quietly = (promise) => promise.catch((error) => { if (error.name !== "AbortError") throw error; });
    PLOTS.forEach((name) => quietly(loadPlot(name, controller.signal)));
    quietly(loadRuns(controller.signal));
    clearTimeout(state.timer);
    if (ENDS_NOW.has(state.range)) {
      const tick = () => {
        if (document.hidden) state.timer = setTimeout(tick, REFRESH_MS);  // wait to be seen
        else load(true);
      };
      state.timer = setTimeout(tick, REFRESH_MS);
    }
  }

  // one filter input for all plots: typing (debounced) or submitting applies it
  const input = document.getElementById("filter");
  let typing = null;
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.filter = input.value; load(false); }, 350);
  });
  document.getElementById("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    state.filter = input.value;
    load();
  });
  for (const link of document.querySelectorAll(".ranges .range")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      state.range = link.dataset.range;
      document.getElementById("range-field").value = state.range;
      for (const other of document.querySelectorAll(".ranges .range")) {
        other.classList.toggle("active", other === link);
        if (other === link) other.setAttribute("aria-current", "true"); else other.removeAttribute("aria-current");
      }
      load();
    });
  }
  load();
})();
