"""Table definitions (SQLAlchemy Core).

Conventions: ids are UUID strings; every ``*_at`` column is an integer count of microseconds
since the Unix epoch (UTC), so comparisons and time bucketing are plain integer arithmetic on
both SQLite and PostgreSQL. Changes to this module need a migration in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Micros = BigInteger


def _id() -> Column[str]:
    return Column("id", String(36), primary_key=True)


meta = Table(
    "runoff_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("email", String(254), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", Micros, nullable=False),
)

authorizations = Table(
    "authorizations",
    metadata,
    _id(),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scope", Text, nullable=False),  # space-separated scope names
    Column("app_id", String(36), nullable=True),  # set: the token may act on this app only
    Column("expires_at", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
)

apps = Table(
    "apps",
    metadata,
    _id(),
    Column("name", String(30), nullable=False, unique=True),
    Column("owner_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
)

collaborators = Table(
    "collaborators",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Micros, nullable=False),
    UniqueConstraint("app_id", "user_id", name="uq_collaborators_app_user"),
)

slugs = Table(
    "slugs",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("checksum", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("process_types", Text, nullable=False),  # JSON object type -> command
    Column("created_at", Micros, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("slug_id", String(36), ForeignKey("slugs.id"), nullable=True),
    Column("config", Text, nullable=False),  # JSON object: the config vars of this release
    Column("user_id", String(36), ForeignKey("users.id"), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("app_id", "version", name="uq_releases_app_version"),
)

counters = Table(
    "counters",
    metadata,
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

servers = Table(
    "servers",
    metadata,
    _id(),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Micros, nullable=False),
    Column("heartbeat_at", Micros, nullable=False),
    Column("stopped_at", Micros, nullable=True),
    # the process's identity beyond its pid (boot id and start time): a pid is reused
    Column("process", String(128), nullable=True),
)

dynos = Table(
    "dynos",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("release_id", String(36), ForeignKey("releases.id"), nullable=True),
    Column("name", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("command", Text, nullable=False),
    Column("size", String(32), nullable=False),
    Column("attach", Boolean, nullable=False, default=False),
    Column("one_off", Boolean, nullable=False, default=True),
    Column("state", String(16), nullable=False),
    Column("exit_status", Integer, nullable=True),
    Column("outcome", String(16), nullable=True),  # succeeded | failed | timed_out
    Column("stop_reason", String(32), nullable=True),
    Column("stop_requested_by", String(255), nullable=True),  # who asked (user email)
    Column("ttl_seconds", Integer, nullable=False),
    Column("server_id", String(36), nullable=True),
    Column("pid", Integer, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("up_at", Micros, nullable=True),
    Column("stopping_at", Micros, nullable=True),
    Column("ended_at", Micros, nullable=True),
    Column("updated_at", Micros, nullable=False),
)
Index("ix_dynos_app_state", dynos.c.app_id, dynos.c.state)
Index("ix_dynos_app_name", dynos.c.app_id, dynos.c.name)
Index("ix_dynos_server_ended", dynos.c.server_id, dynos.c.ended_at)

dyno_events = Table(
    "dyno_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("dyno_id", String(36), ForeignKey("dynos.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", String(36), nullable=False),
    Column("event", String(16), nullable=False),  # see runoff.dynos.model.Event
    Column("at", Micros, nullable=False),
    Column("exit_status", Integer, nullable=True),
    Column("detail", Text, nullable=True),
)
Index("ix_dyno_events_app_id", dyno_events.c.app_id, dyno_events.c.id)
Index("ix_dyno_events_dyno", dyno_events.c.dyno_id)

log_sessions = Table(
    "log_sessions",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("filters", Text, nullable=False),  # JSON: dyno, type, source, lines, tail
    Column("created_at", Micros, nullable=False),
    Column("expires_at", Micros, nullable=False),
)

# One row per chunk of consecutive lines of one app, dyno and source (see runoff.logs.store).
log_chunks = Table(
    "log_chunks",
    metadata,
    Column(
        "first_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("last_id", BigInteger, nullable=False),
    Column("app_id", String(36), nullable=False),
    Column("dyno", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("first_at", Micros, nullable=False),
    Column("last_at", Micros, nullable=False),
    Column("codec", SmallInteger, nullable=False),  # 0: raw, 1: zlib
    Column("size", Integer, nullable=False),  # bytes of data as stored
    Column("times", LargeBinary, nullable=True),  # runs of (lines, bytes, at) if > 1 timestamp
    Column("data", LargeBinary, nullable=False),  # the lines joined by \n
)
Index("ix_log_chunks_app", log_chunks.c.app_id, log_chunks.c.last_id)
Index("ix_log_chunks_app_dyno", log_chunks.c.app_id, log_chunks.c.dyno, log_chunks.c.last_id)
Index("ix_log_chunks_last_at", log_chunks.c.last_at)

log_drains = Table(
    "log_drains",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("app_id", "url", name="uq_log_drains_app_url"),
)

# Runtime metrics: one row per sample of a running dyno (load averages, memory in bytes).
dyno_metrics = Table(
    "dyno_metrics",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("dyno_id", String(36), ForeignKey("dynos.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", String(36), nullable=False),
    Column("at", Micros, nullable=False),
    Column("load_avg_1m", Float, nullable=False),
    Column("load_avg_5m", Float, nullable=False),
    Column("load_avg_15m", Float, nullable=False),
    Column("memory_total", BigInteger, nullable=False),
    Column("memory_rss", BigInteger, nullable=False),
    Column("memory_cache", BigInteger, nullable=False),
    Column("memory_swap", BigInteger, nullable=False),
    Column("memory_pgpgin", BigInteger, nullable=False),  # pages, cumulative
    Column("memory_pgpgout", BigInteger, nullable=False),
    Column("memory_quota", BigInteger, nullable=False),
)
Index("ix_dyno_metrics_dyno", dyno_metrics.c.dyno_id, dyno_metrics.c.at)
Index("ix_dyno_metrics_app", dyno_metrics.c.app_id, dyno_metrics.c.at)

# formation, release phase and scheduler (branch formation) ------------------------------------
# At most one running dyno per (app, name): two servers converging the same formation cannot
# both start web.1, and a restarted dyno's successor starts only after its end is recorded.
Index(
    "uq_dynos_running_name",
    dynos.c.app_id,
    dynos.c.name,
    unique=True,
    sqlite_where=dynos.c.ended_at.is_(None),
    postgresql_where=dynos.c.ended_at.is_(None),
)

formations = Table(
    "formations",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("size", String(32), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("app_id", "type", name="uq_formations_app_type"),
)

scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),  # per app: job 1, 2, ... for the CLI
    Column("kind", String(16), nullable=False),  # command | restart
    Column("command", Text, nullable=False),
    Column("schedule", String(128), nullable=False),  # canonical text, see runoff.scheduler
    Column("size", String(32), nullable=False),
    Column("overlap", String(16), nullable=False),  # allow | forbid | replace
    Column("checked_until", Micros, nullable=False),  # every slot up to here is decided
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("app_id", "number", name="uq_scheduler_jobs_app_number"),
)

scheduler_runs = Table(
    "scheduler_runs",
    metadata,
    _id(),
    Column(
        "job_id", String(36), ForeignKey("scheduler_jobs.id", ondelete="CASCADE"), nullable=False
    ),
    Column("app_id", String(36), nullable=False),
    # "slot:<µs>" for a scheduled slot, "manual:<id>" for scheduler:run; unique per job, so a
    # slot is claimed by exactly one server exactly once.
    Column("slot_key", String(64), nullable=False),
    Column("slot_at", Micros, nullable=False),
    Column("status", String(16), nullable=False),  # see runoff.scheduler.model.RunStatus
    Column("dyno_id", String(36), nullable=True),
    Column("dyno_name", String(64), nullable=True),
    Column("server_id", String(36), nullable=True),
    Column("detail", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("job_id", "slot_key", name="uq_scheduler_runs_job_slot"),
)
Index("ix_scheduler_runs_job", scheduler_runs.c.job_id, scheduler_runs.c.slot_at)

# One-off Dyno Metrics (runoff.metrics) ----------------------------------------------------------
# An add-on row per (app, service); every metrics row hangs off its add-on (ON DELETE CASCADE),
# so destroying the add-on or deleting the app removes all of its data. Tables of later
# features that belong to the add-on (monitors, alerts) should reference addons.id the same way.

addons = Table(
    "addons",
    metadata,
    _id(),
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(64), nullable=False),  # e.g. one-off-metrics
    Column("name", String(64), nullable=False, unique=True),
    Column("plan", String(32), nullable=False),  # plan name within the service, e.g. free
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("app_id", "service", name="uq_addons_app_service"),
)

metrics_series = Table(
    "metrics_series",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), nullable=False),
    Column("key_sha256", String(64), nullable=False),  # of command, type and size
    Column("command", Text, nullable=False),
    Column("type", String(64), nullable=False),
    Column("size", String(32), nullable=False),
    UniqueConstraint("addon_id", "key_sha256", name="uq_metrics_series_addon_key"),
)

metrics_runs = Table(
    "metrics_runs",
    metadata,
    Column("dyno_id", String(36), primary_key=True),
    Column("addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), nullable=False),
    Column(
        "series_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("metrics_series.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # running | succeeded | failed | timed out
    Column("exit_status", Integer, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("up_at", Micros, nullable=True),
    Column("ended_at", Micros, nullable=True),
)
Index("ix_metrics_runs_created", metrics_runs.c.addon_id, metrics_runs.c.created_at)
Index("ix_metrics_runs_ended", metrics_runs.c.addon_id, metrics_runs.c.ended_at)
# On lower(name): the filter language compares names ignoring case (name:"scheduler.1234").
Index("ix_metrics_runs_name", metrics_runs.c.addon_id, func.lower(metrics_runs.c.name))

metrics_events = Table(
    "metrics_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # = dyno_events.id
    Column("addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), nullable=False),
    Column("dyno_id", String(36), nullable=False),
    Column("event", String(16), nullable=False),
    Column("at", Micros, nullable=False),
    Column("exit_status", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    # Copies of the run's series, name and (current) state, so the events plot filters
    # without a join.
    Column("series_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("state", String(16), nullable=False),
)
# Covers the filter columns, so scanning back in time reads the table only for matches.
Index(
    "ix_metrics_events_at",
    metrics_events.c.addon_id,
    metrics_events.c.at,
    metrics_events.c.id,
    metrics_events.c.series_id,
    metrics_events.c.state,
)
Index(
    "ix_metrics_events_series",
    metrics_events.c.addon_id,
    metrics_events.c.series_id,
    metrics_events.c.at,
    metrics_events.c.id,
)
Index("ix_metrics_events_dyno", metrics_events.c.dyno_id)

metrics_rollups = Table(
    "metrics_rollups",
    metadata,
    Column("addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), primary_key=True),
    Column("resolution", Integer, primary_key=True),  # seconds
    Column("bucket", Micros, primary_key=True),  # start of the bucket
    Column("series_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("count", Integer, nullable=False),  # runs that ended in the bucket
    Column("sum_us", BigInteger, nullable=False),
    Column("min_us", BigInteger, nullable=True),
    Column("max_us", BigInteger, nullable=True),
    Column("sketch", LargeBinary, nullable=False),  # runoff.metrics.sketch encoding
    Column("busy_us", BigInteger, nullable=False),  # run-time of ended runs inside the bucket
)

metrics_cursor = Table(
    "metrics_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),  # dyno_events.id processed up to
)

metrics_peaks = Table(
    "metrics_peaks",
    metadata,
    Column("addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), primary_key=True),
    Column("filter_key", String(64), primary_key=True),  # sha256 of the canonical filter text
    Column("resolution", Integer, primary_key=True),
    Column("bucket", Micros, primary_key=True),
    Column("peak", Integer, nullable=False),  # most matching runs running at one instant
)
Index("ix_metrics_peaks_bucket", metrics_peaks.c.addon_id, metrics_peaks.c.bucket)

# Monitors and alerts (runoff.monitors, runoff.alerts) -------------------------------------------
# Every row hangs off the One-off Dyno Metrics add-on (ON DELETE CASCADE); destroying the add-on
# deletes them explicitly first (a destroy hook), deleting the app cascades.


def _addon_id() -> Column[str]:
    return Column(
        "addon_id", String(36), ForeignKey("addons.id", ondelete="CASCADE"), nullable=False
    )


def _serial() -> Column[int]:
    return Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )


monitors = Table(
    "monitors",
    metadata,
    _id(),
    _addon_id(),
    Column("app_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("type", String(32), nullable=False),  # runoff.monitors.model.MonitorType
    Column("threshold", Integer, nullable=True),  # seconds or runs, by type
    Column("sensitivity", Integer, nullable=False),
    Column("window_size", Integer, nullable=True),
    Column("recovery", Integer, nullable=False),
    Column("reminder_seconds", Integer, nullable=True),
    Column("filter_command", Text, nullable=True),  # runoff.query.Match text
    Column("filter_type", Text, nullable=True),
    Column("filter_size", Text, nullable=True),
    Column("state", String(16), nullable=False),  # runoff.monitors.model.MonitorState
    Column("history", String(100), nullable=False),  # recent observations, "0"/"1"
    Column("ok_streak", Integer, nullable=False),
    Column("notified_at", Micros, nullable=True),
    Column("alert_id", String(36), nullable=True),  # the open alert
    Column("version", Integer, nullable=False),  # bumped on every write (optimistic check)
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    # Changes before this are not counted: creation, the last enabling, or rules changed.
    Column("counting_since", Micros, nullable=False, server_default=text("0")),
)
Index("ix_monitors_addon", monitors.c.addon_id)

alerts = Table(
    "alerts",
    metadata,
    _id(),
    _addon_id(),
    Column("monitor_id", String(36), ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),  # per add-on, from 1
    Column("status", String(16), nullable=False),  # open | resolved
    Column("opened_at", Micros, nullable=False),
    Column("resolved_at", Micros, nullable=True),
    Column("detail", Text, nullable=False),  # JSON, redacted: what opened it
    UniqueConstraint("addon_id", "number", name="uq_alerts_addon_number"),
)
Index("ix_alerts_addon_status", alerts.c.addon_id, alerts.c.status)

alert_flips = Table(
    "alert_flips",
    metadata,
    _serial(),
    _addon_id(),
    Column("monitor_id", String(36), ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False),
    Column("alert_id", String(36), ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True),
    Column("kind", String(16), nullable=False),  # runoff.monitors.model.FlipKind
    Column("old_state", String(16), nullable=False),
    Column("new_state", String(16), nullable=False),
    Column("at", Micros, nullable=False),
    Column("detail", Text, nullable=False),  # JSON, redacted: the message's content
    Column("processed_at", Micros, nullable=True),  # claimed by a sender (NULL: not yet)
)
Index("ix_alert_flips_processed", alert_flips.c.processed_at, alert_flips.c.id)
Index("ix_alert_flips_alert", alert_flips.c.alert_id)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    _id(),
    Column(
        "flip_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("alert_flips.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _addon_id(),
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("target", Text, nullable=False),  # JSON: recipients, or the webhook's id
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Micros, nullable=False),
    Column("lease_until", Micros, nullable=True),  # a sender is sending it until then
    Column("last_error", Text, nullable=True),
    Column("sent_at", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
)
Index("ix_alert_deliveries_due", alert_deliveries.c.status, alert_deliveries.c.next_attempt_at)
Index("ix_alert_deliveries_flip", alert_deliveries.c.flip_id)

alert_emails = Table(
    "alert_emails",
    metadata,
    _addon_id(),
    Column("email", String(254), nullable=False),
    Column("created_at", Micros, nullable=False),
    PrimaryKeyConstraint("addon_id", "email", name="pk_alert_emails"),
)

alert_webhooks = Table(
    "alert_webhooks",
    metadata,
    _id(),
    _addon_id(),
    Column("url", Text, nullable=False),
    Column("format", String(16), nullable=False),  # generic | slack
    Column("secret", String(64), nullable=False),  # HMAC key, shown once at creation
    Column("created_at", Micros, nullable=False),
)
Index("ix_alert_webhooks_addon", alert_webhooks.c.addon_id)

monitor_marks = Table(
    "monitor_marks",
    metadata,
    Column("dyno_id", String(36), ForeignKey("dynos.id", ondelete="CASCADE"), nullable=False),
    Column("change", String(8), nullable=False),  # started | ended: evaluated once
    _addon_id(),
    Column("at", Micros, nullable=False),
    PrimaryKeyConstraint("dyno_id", "change", name="pk_monitor_marks"),
)
Index("ix_monitor_marks_at", monitor_marks.c.at)

# Runs an execution-time monitor has counted: once, when found running past its threshold or
# when it ended, whichever was first (runoff.monitors.engine).
monitor_runs = Table(
    "monitor_runs",
    metadata,
    Column("monitor_id", String(36), ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False),
    Column("dyno_id", String(36), ForeignKey("dynos.id", ondelete="CASCADE"), nullable=False),
    _addon_id(),
    Column("at", Micros, nullable=False),
    PrimaryKeyConstraint("monitor_id", "dyno_id", name="pk_monitor_runs"),
)
Index("ix_monitor_runs_at", monitor_runs.c.at)
Index("ix_monitor_runs_dyno", monitor_runs.c.dyno_id)

# Teams (runoff.teams) -----------------------------------------------------------------------------

teams = Table(
    "teams",
    metadata,
    _id(),
    Column("name", String(30), nullable=False, unique=True),
    Column("created_at", Micros, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(36), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),  # admin | member
    Column("created_at", Micros, nullable=False),
    PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
)
Index("ix_team_members_user", team_members.c.user_id)

team_apps = Table(
    "team_apps",
    metadata,
    Column("app_id", String(36), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=False),
)
Index("ix_team_apps_team", team_apps.c.team_id)

# Dashboard sign-in sessions (runoff.web.dashboard) ----------------------------------------------
# The cookie holds a random secret; only its hash is stored. A session acts with the token it
# was opened with: revoking that token (deleting its authorization) ends the session too.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    _id(),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column(
        "authorization_id",
        String(36),
        ForeignKey("authorizations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("expires_at", Micros, nullable=False),
)
Index("ix_dashboard_sessions_expires", dashboard_sessions.c.expires_at)
Index("ix_dashboard_sessions_authorization", dashboard_sessions.c.authorization_id)
