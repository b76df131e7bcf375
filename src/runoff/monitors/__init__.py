"""Monitors of One-off Dyno Metrics: five types watching detached one-off runs, their states
and transitions (``model``), the evaluation rules (``evaluate``), requests (``spec``),
persistence (``store``), the engine following run changes (``engine``), the API operations
(``service``) and the wiring into the platform (``wiring``). See docs/monitors-and-alerts.md.
"""
