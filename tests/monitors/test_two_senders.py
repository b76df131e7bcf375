"""Several senders on one database: each state change is e-mailed exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from runoff.alerts.email import EmailChannel, SmtpConfig
from runoff.alerts.sender import AlertSender
from runoff.clock import SystemClock
from runoff.monitors import store
from runoff.monitors.describe import flip_detail
from runoff.monitors.model import FlipKind
from runoff.store.db import make_engine
from runoff.store.schema import addons, alert_deliveries, alert_flips
from tests.monitors.conftest import METRICS, create_monitor, monitored_app, wait_mail
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.smtp import Inbox


def test_two_servers_one_email_per_state_change(
    server_factory: Callable[..., LiveServer], inbox: Inbox
) -> None:
    one = Api(server_factory(smtp_url=inbox.url).url, ADMIN_TOKEN)
    two = Api(server_factory(smtp_url=inbox.url).url, ADMIN_TOKEN)
    app = monitored_app(one, "twins")
    create_monitor(one, app, type="command-failure")
    # Open and resolve twice. The runs all run on server one (two servers running dynos at
    # once collide on log line ids, a limit of the log router); both servers record the
    # runs, evaluate monitors and send alerts.
    for command in ("exit 1", "true", "exit 1", "true"):
        dyno = one.run(app, command)
        one.wait_ended(app, dyno["name"])
    mails = wait_mail(inbox, 4)
    time.sleep(2.5)  # both servers poll every second: a duplicate would show by now
    assert len(inbox.messages()) == 4
    assert [m.subject.split(" ")[1] for m in mails] == ["ALERT", "RESOLVED", "ALERT", "RESOLVED"]
    alerts = two.get(f"{METRICS.format(app=app)}/alerts").ok()
    assert [a["status"] for a in alerts] == ["resolved", "resolved"]


def test_racing_senders_claim_each_flip_once(
    mail_server: LiveServer, inbox: Inbox, database_url: str
) -> None:
    api = Api(mail_server.url, ADMIN_TOKEN)
    app = monitored_app(api, "racers")
    monitor_id = create_monitor(api, app, type="command-failure")["id"]
    engine = make_engine(database_url)
    count = 30
    with engine.begin() as conn:
        addon_id = conn.execute(select(addons.c.id)).scalar_one()
        monitor = store.load(conn, addon_id, monitor_id)
        for index in range(count):
            kind = FlipKind.OPENED if index % 2 == 0 else FlipKind.RESOLVED
            detail = flip_detail(
                public_url="http://runoff.test",
                app_name=app,
                monitor=monitor,
                kind=kind,
                at=index,
                runs=[],
                running=None,
                reason=f"change {index}",
            )
            conn.execute(
                alert_flips.insert().values(
                    addon_id=addon_id,
                    monitor_id=monitor_id,
                    kind=kind.value,
                    old_state="ok",
                    new_state="alerting",
                    at=index,
                    detail=json.dumps(detail),
                )
            )
    channel = EmailChannel(SmtpConfig.parse(inbox.url), "a@b.c")
    engines = [make_engine(database_url) for _ in range(2)]
    senders = [AlertSender(each, SystemClock(), channel) for each in engines]
    done = threading.Event()

    def race(sender: AlertSender) -> None:
        while not done.is_set():
            sender.run_once()

    threads = [threading.Thread(target=race, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    try:
        wait_mail(inbox, count, timeout=60)
        time.sleep(2.5)
    finally:
        done.set()
        for thread in threads:
            thread.join()
        for each in engines:
            each.dispose()
    reasons = sorted(m.subject.rsplit("— ", 1)[1] for m in inbox.messages())
    assert reasons == sorted(f"change {i}" for i in range(count))
    with engine.connect() as conn:
        statuses = [r.status for r in conn.execute(select(alert_deliveries.c.status))]
    assert statuses == ["sent"] * count
    engine.dispose()
