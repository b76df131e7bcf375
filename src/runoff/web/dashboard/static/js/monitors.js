// The monitor form: the threshold's unit follows the chosen type (and types without one
// disable it). Delete confirmations are handled in dashboard.js.
"use strict";

(function () {
  const type = document.getElementById("type");
  const threshold = document.getElementById("threshold");
  const unit = document.getElementById("threshold-unit");
  if (!type || !threshold || !unit) return;
  const units = {
    "command-failure": "", "command-timeout": "",
    "command-execution-time": "seconds", "command-concurrency": "runs", "total-concurrency": "runs",
  };
  function update() {
    const u = units[type.value] || "";
    unit.textContent = u ? u : "this type has no threshold";
    threshold.disabled = !u;
    const filters = document.querySelectorAll('[id^="filter_"]');
    for (const input of filters) input.disabled = type.value === "total-concurrency";
  }
  type.addEventListener("change", update);
  update();
})();
