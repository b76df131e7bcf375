"""Settings, read from the environment in this module only.

Precedence: command-line flag > environment variable > default. A value that does not parse
raises ``SettingsError`` naming the variable, so a typo fails loudly at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from runoff.errors import RunoffError


class SettingsError(RunoffError):
    id = "bad_setting"
    status = 500


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", "."), ".local", "share")
    return Path(base) / "runoff"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw).absolute() if raw else None


def _cert_and_key(env: Mapping[str, str]) -> tuple[Path | None, Path | None]:
    cert, key = _path(env, "RUNOFF_RENDEZVOUS_CERT"), _path(env, "RUNOFF_RENDEZVOUS_KEY")
    if (cert is None) != (key is None):
        raise SettingsError("RUNOFF_RENDEZVOUS_CERT and RUNOFF_RENDEZVOUS_KEY go together")
    return cert, key


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 5000
    admin_token: str | None = None
    oneoff_limit: int = 50
    stop_grace_seconds: float = 30.0
    default_ttl_seconds: int = 86400
    log_session_ttl_seconds: int = 3600
    workspace_mode: str = "auto"
    cgroups: str = "auto"
    isolation: str = "sandbox"  # each dyno in a bubblewrap sandbox; "none": as the server's user
    # logs, drains, runtime metrics and memory quotas (docs/logs.md)
    log_retention_days: float = 30.0
    log_retention_mb: int = 1024
    log_prune_seconds: float = 60.0
    log_tail_buffer_lines: int = 20_000
    log_drains_per_app: int = 5
    drain_buffer_lines: int = 10_000
    drain_ca_file: Path | None = None
    metrics_interval_seconds: float = 20.0
    memory_check_seconds: float = 1.0
    memory_limits: str = "auto"
    memory_quota_scale: float = 1.0
    # attached runs (``runoff run`` / ``heroku run``): the TLS rendezvous endpoint
    rendezvous_port: int = 5001  # 0: any free port
    rendezvous_host: str | None = None  # in attach URLs and the certificate; default: host
    rendezvous_cert: Path | None = None  # PEM certificate (chain) replacing the generated one
    rendezvous_key: Path | None = None
    attach_timeout_seconds: float = 60.0  # a secret not used within this is void
    attach_idle_seconds: float = 3600.0  # no input and no output for this long: hang up
    attach_handshake_seconds: float = 10.0  # TLS handshake plus the secret line
    crash_cooldown_seconds: float = 20.0
    crash_cooldown_max_seconds: float = 1200.0
    release_phase_timeout_seconds: int = 3600
    public_url: str | None = None  # how users reach this server (links in alerts)
    smtp_url: str | None = None
    smtp_from: str = "runoff@localhost"
    alert_retry_seconds: float = 10.0
    alert_max_attempts: int = 12
    # the API under load (docs/operations.md): requests worked on at once (0: no bound), how
    # long one over that waits before a 503, requests per hour per API token (0: no limit)
    api_max_in_flight: int = 8
    api_queue_seconds: float = 2.0
    rate_limit_per_hour: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("RUNOFF_DATA_DIR") or _default_data_dir(env)).absolute()
        database_url = env.get("RUNOFF_DATABASE_URL") or f"sqlite:///{data_dir / 'runoff.db'}"
        cert, key = _cert_and_key(env)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            host=env.get("RUNOFF_HOST") or "127.0.0.1",
            port=_int(env, "RUNOFF_PORT", 5000, minimum=0),
            admin_token=env.get("RUNOFF_ADMIN_TOKEN") or None,
            oneoff_limit=_int(env, "RUNOFF_ONEOFF_LIMIT", 50, minimum=1),
            stop_grace_seconds=_float(env, "RUNOFF_STOP_GRACE_SECONDS", 30.0),
            default_ttl_seconds=_int(env, "RUNOFF_DEFAULT_TTL_SECONDS", 86400, minimum=1),
            log_session_ttl_seconds=_int(env, "RUNOFF_LOG_SESSION_TTL_SECONDS", 3600, minimum=1),
            workspace_mode=_choice(env, "RUNOFF_WORKSPACE", "auto", ("auto", "overlay", "copy")),
            cgroups=_choice(env, "RUNOFF_CGROUPS", "auto", ("auto", "on", "off")),
            isolation=_choice(env, "RUNOFF_ISOLATION", "sandbox", ("sandbox", "none")),
            log_retention_days=_float(env, "RUNOFF_LOG_RETENTION_DAYS", 30.0),
            log_retention_mb=_int(env, "RUNOFF_LOG_RETENTION_MB", 1024),
            log_prune_seconds=_float(env, "RUNOFF_LOG_PRUNE_SECONDS", 60.0, minimum=0.01),
            log_tail_buffer_lines=_int(env, "RUNOFF_LOG_TAIL_BUFFER_LINES", 20_000, minimum=100),
            log_drains_per_app=_int(env, "RUNOFF_LOG_DRAINS_PER_APP", 5),
            drain_buffer_lines=_int(env, "RUNOFF_DRAIN_BUFFER_LINES", 10_000, minimum=10),
            drain_ca_file=_path(env, "RUNOFF_DRAIN_CA_FILE"),
            metrics_interval_seconds=_float(
                env, "RUNOFF_METRICS_INTERVAL_SECONDS", 20.0, minimum=0.05
            ),
            memory_check_seconds=_float(env, "RUNOFF_MEMORY_CHECK_SECONDS", 1.0, minimum=0.05),
            memory_limits=_choice(
                env, "RUNOFF_MEMORY_LIMITS", "auto", ("auto", "cgroup", "watchdog", "off")
            ),
            memory_quota_scale=_float(env, "RUNOFF_MEMORY_QUOTA_SCALE", 1.0, minimum=0.0001),
            rendezvous_port=_int(env, "RUNOFF_RENDEZVOUS_PORT", 5001, minimum=0),
            rendezvous_host=env.get("RUNOFF_RENDEZVOUS_HOST") or None,
            rendezvous_cert=cert,
            rendezvous_key=key,
            attach_timeout_seconds=_float(env, "RUNOFF_ATTACH_TIMEOUT_SECONDS", 60.0, 0.1),
            attach_idle_seconds=_float(env, "RUNOFF_ATTACH_IDLE_SECONDS", 3600.0, 0.1),
            attach_handshake_seconds=_float(env, "RUNOFF_ATTACH_HANDSHAKE_SECONDS", 10.0, 0.1),
            crash_cooldown_seconds=_float(env, "RUNOFF_CRASH_COOLDOWN_SECONDS", 20.0),
            crash_cooldown_max_seconds=_float(env, "RUNOFF_CRASH_COOLDOWN_MAX_SECONDS", 1200.0),
            release_phase_timeout_seconds=_int(
                env, "RUNOFF_RELEASE_PHASE_TIMEOUT_SECONDS", 3600, minimum=1
            ),
            public_url=env.get("RUNOFF_PUBLIC_URL") or None,
            smtp_url=env.get("RUNOFF_SMTP_URL") or None,
            smtp_from=env.get("RUNOFF_SMTP_FROM") or "runoff@localhost",
            alert_retry_seconds=_float(env, "RUNOFF_ALERT_RETRY_SECONDS", 10.0, minimum=0.01),
            alert_max_attempts=_int(env, "RUNOFF_ALERT_MAX_ATTEMPTS", 12, minimum=1),
            api_max_in_flight=_int(env, "RUNOFF_API_MAX_IN_FLIGHT", 8),
            api_queue_seconds=_float(env, "RUNOFF_API_QUEUE_SECONDS", 2.0),
            rate_limit_per_hour=_int(env, "RUNOFF_RATE_LIMIT_PER_HOUR", 0),
        )

    @property
    def base_url(self) -> str:
        """``RUNOFF_PUBLIC_URL``, else the address the server listens on."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
