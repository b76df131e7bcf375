// Helpers shared by the dashboard's pages. Data from the server is only ever put into the page
// as text (textContent, createTextNode, attribute values): never through innerHTML.
"use strict";

window.Runoff = (function () {
  function pageData() {
    const node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  // el("td", {class: "x", dataset: {a: "1"}}, "text", otherNode): children are text or nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // GET JSON from the dashboard's data endpoints; resolves to {ok, status, body}.
  // options.response: an already started fetch (see prefetch.js) to read instead.
  async function getJSON(url, options) {
    const response = await ((options && options.response) || fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: options && options.signal,
    }));
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  const pad = (n) => String(n).padStart(2, "0");
  function formatTime(ms, withSeconds) {
    const d = new Date(ms);
    const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    return `${day} ${time}${withSeconds ? ":" + pad(d.getUTCSeconds()) : ""} UTC`;
  }
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 10) return `${seconds.toFixed(1)} s`;
    const whole = Math.round(seconds);
    if (whole < 60) return `${whole} s`;
    if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
    return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
  }

  // A tooltip body for ECharts built as DOM (ECharts accepts elements from formatters), so a
  // dyno name or command in it can never become markup. rows: [[label, value, color?], ...]
  function tooltip(title, rows) {
    const box = el("div", { class: "tip" }, el("div", { class: "tip-title" }, title));
    for (const [label, value, color] of rows) {
      const swatch = color ? el("span", { class: "tip-swatch" }) : null;
      if (swatch) swatch.style.background = color;
      box.appendChild(el("div", { class: "tip-row" }, swatch, `${label}: `, el("b", {}, value)));
    }
    return box;
  }

  // The plot's message line (errors, notes); empty text hides it.
  function message(section, text) {
    const node = section.querySelector(".plot-message");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function chartFor(section) {
    if (!window.echarts) {
      section.dataset.state = "error";
      message(section, "The chart library could not be loaded: run scripts/setup on the server.");
      return null;
    }
    const node = section.querySelector(".chart");
    const chart = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", () => chart.resize());
    return chart;
  }

  // Per-plot legend buttons: each hides or shows one series of this chart only.
  // items: [{name, color}]; selected: {name: bool} kept across redraws by the caller.
  function legend(section, chart, items, selected) {
    const box = section.querySelector(".legend");
    box.replaceChildren();
    for (const item of items) {
      const on = selected[item.name] !== false;
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = item.color;
      const button = el("button", {
        type: "button", class: "legend-item", "aria-pressed": on ? "true" : "false",
        dataset: { series: item.name },
      }, swatch, item.label || item.name);
      button.addEventListener("click", () => {
        const nowOn = button.getAttribute("aria-pressed") !== "true";
        selected[item.name] = nowOn;
        button.setAttribute("aria-pressed", nowOn ? "true" : "false");
        chart.dispatchAction({ type: nowOn ? "legendSelect" : "legendUnSelect", name: item.name });
      });
      box.appendChild(button);
    }
  }

  // Mark a plot drawn (for tests and the first-paint benchmark): after the frame is painted.
  function drawn(section) {
    requestAnimationFrame(() => {
      section.dataset.state = "ready";
      section.dataset.drawnMs = String(Math.round(performance.now()));
      document.dispatchEvent(new CustomEvent("runoff:drawn", { detail: section.id }));
    });
  }

  // Forms that need a confirmation (delete) say so in data-confirm.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  return { pageData, el, csrfToken, getJSON, formatTime, formatDuration, tooltip, message, chartFor, legend, drawn };
})();
