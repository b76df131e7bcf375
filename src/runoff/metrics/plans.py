"""The plans of the One-off Dyno Metrics add-on and the limits each one enforces.

``retention_seconds`` is enforced by the metrics package (queries never show older data and
the pruner deletes it); ``monitors`` and ``extra_emails`` are the most monitors and additional
alert e-mail addresses an add-on of the plan may have: the monitors feature enforces them
through ``Plan.check_monitors`` and ``Plan.check_extra_emails``.
"""

from __future__ import annotations

from dataclasses import dataclass

from runoff.errors import Invalid

SERVICE = "one-off-metrics"
HUMAN_NAME = "One-off Dyno Metrics"
HOUR = 3600
DAY = 24 * HOUR


class PlanLimitReached(Invalid):
    id = "plan_limit"


@dataclass(frozen=True)
class Plan:
    name: str
    human_name: str
    retention_seconds: int
    monitors: int
    extra_emails: int
    price_cents: int

    @property
    def full_name(self) -> str:
        """``one-off-metrics:free``, as the Platform API names plans."""
        return f"{SERVICE}:{self.name}"

    def limits(self) -> dict[str, int]:
        return {
            "retention_seconds": self.retention_seconds,
            "monitors": self.monitors,
            "extra_emails": self.extra_emails,
        }

    def check_monitors(self, existing: int) -> None:
        """Raise PlanLimitReached when one more monitor would exceed the plan."""
        if existing >= self.monitors:
            raise PlanLimitReached(
                f"The {self.name} plan allows {self.monitors} monitor(s); "
                f"delete one or upgrade with `addons:upgrade {SERVICE}:PLAN`."
            )

    def check_extra_emails(self, count: int) -> None:
        """Raise PlanLimitReached when ``count`` additional addresses exceed the plan."""
        if count > self.extra_emails:
            raise PlanLimitReached(
                f"The {self.name} plan allows {self.extra_emails} additional e-mail "
                f"address(es), got {count}; upgrade with `addons:upgrade {SERVICE}:PLAN`."
            )


PLANS: tuple[Plan, ...] = (
    Plan("free", "Free", retention_seconds=1 * DAY, monitors=2, extra_emails=0, price_cents=0),
    Plan("basic", "Basic", retention_seconds=3 * DAY, monitors=10, extra_emails=2, price_cents=0),
    Plan("pro", "Pro", retention_seconds=7 * DAY, monitors=50, extra_emails=10, price_cents=0),
)
DEFAULT_PLAN = "free"
_BY_NAME = {plan.name: plan for plan in PLANS}


def plan_named(text: str) -> Plan:
    """The plan called ``text`` (``pro`` or ``one-off-metrics:pro``, any letter case)."""
    name = text.strip().lower()
    service, colon, rest = name.partition(":")
    if colon:
        if service != SERVICE:
            raise Invalid(f"Unknown add-on service {service!r}: the only one is {SERVICE}")
        name = rest
    plan = _BY_NAME.get(name)
    if plan is None:
        names = ", ".join(p.name for p in PLANS)
        raise Invalid(f"{SERVICE} has no plan {text!r}. Plans: {names}")
    return plan
