// Loaded in the head of the metrics page: asks for the four plots (and the runs) at once, while
// the page and the chart library are still loading; plots.js uses these answers for its first
// draw when the view has not changed meanwhile.
"use strict";

(function () {
  const data = document.currentScript.dataset;
  const params = new URLSearchParams({ range: data.range });
  if (data.filter) params.set("filter", data.filter);
  const query = params.toString();
  const get = (path) => fetch(`${data.url}/${path}`, {
    credentials: "same-origin", headers: { Accept: "application/json" },
  });
  const plots = {};
  for (const plot of ["events", "execution-time", "throughput", "concurrency"]) {
    plots[plot] = get(`${plot}?${query}`);
  }
  window.runoffPrefetch = { query, plots, runs: get(`runs?limit=50&${query}`) };
})();
