"""One-off Dyno Metrics: the add-on, recorded runs and the plots' data.

``MetricsService`` is the entry point: ``addons`` provisions the add-on, ``recorder``
follows dyno lifecycle events and records detached one-off runs (``recorder.subscribe``
tells monitors of every run that started or ended), ``runs`` and ``plot`` answer queries.
Metrics depend only on the recorded ``dyno_events`` and ``dynos`` rows. See docs/metrics.md.
"""

from runoff.metrics.model import Addon, Change, Run, RunChange, RunState
from runoff.metrics.plans import PLANS, SERVICE, Plan, plan_named
from runoff.metrics.ranges import RANGES, Range, range_named
from runoff.metrics.service import PLOTS, MetricsService

__all__ = [
    "PLANS",
    "PLOTS",
    "RANGES",
    "SERVICE",
    "Addon",
    "Change",
    "MetricsService",
    "Plan",
    "Range",
    "Run",
    "RunChange",
    "RunState",
    "plan_named",
    "range_named",
]
