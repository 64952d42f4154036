"""The operator's undo: `digest suppressions list --cause` tells suppressions caused by
our relay or soft bounces from the readers' own hard bounces, and `digest subscribers
reconfirm` lifts the first two for an editor, a hard bounce for an owner only, audited,
and refuses a complaint to everyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from delivery_support import add_edition, add_subscribers, subscriber_id
from smtp_server import SMTPServer
from sqlalchemy import select
from test_deliver_cli import run, write_config

from digest import config as digest_config
from digest.actions import Actor, Door, Operations
from digest.actions.reconfirm import reconfirm
from digest.admins import Role
from digest.errors import ValidationError
from digest.store import Store, immediate
from digest.store import tables as t
from digest.store.bounces import suppress_subscriber


def test_suppressions_by_cause_and_reconfirm_lifts_ours_and_soft_hard_for_an_owner_audited(
    store: Store, db_url: str, smtp: SMTPServer, now: datetime, tmp_path: Path
) -> None:
    relay, soft, gone, kept, spam = add_subscribers(store, 5, now=now)
    with immediate(store.engine) as conn:  # what a relay refusing everyone did before the fix
        suppress_subscriber(conn, subscriber_id(store, relay), "hard_bounce", now=now,
                            detail="554 5.7.1 <r@x>: Relay access denied; authentication required")  # fmt: skip
        suppress_subscriber(conn, subscriber_id(store, soft), "soft_bounce", now=now,
                            detail="3 soft bounces (limit 3, over 3 days); last: 452 4.2.2 mailbox full")  # fmt: skip
        suppress_subscriber(conn, subscriber_id(store, gone), "hard_bounce", now=now, detail="550 5.1.1 no such user")
        suppress_subscriber(conn, subscriber_id(store, spam), "complaint", now=now, detail="ARF abuse report")
    config = write_config(tmp_path, db_url, smtp)

    listed = run(config, "suppressions", "list", "--cause", "ours")
    assert listed.exit_code == 0, listed.output
    assert relay in listed.output and soft not in listed.output and gone not in listed.output
    every = json.loads(run(config, "suppressions", "list", "--json").output)
    assert {(r["email"], r["cause"]) for r in every} == {
        (relay, "ours"),
        (soft, "soft"),
        (gone, "hard"),
        (spam, "complaint"),
    }
    assert [
        r["email"] for r in json.loads(run(config, "suppressions", "list", "--cause", "hard", "--json").output)
    ] == [gone]

    refused = run(config, "subscribers", "reconfirm", spam, "--reason", "asked")  # the CLI acts as an owner
    assert refused.exit_code == 1 and "needs the reader's own consent" in refused.output
    editor = Actor("editor@example.org", Role.EDITOR, Door.CONSOLE)
    with pytest.raises(ValidationError, match="only an owner can lift a hard bounce"):
        reconfirm(Operations(digest_config.load(config), store), editor, gone, reason="asked")
    for address in (relay, soft, gone):
        lifted = run(config, "subscribers", "reconfirm", address, "--reason", "relay login was missing")
        assert lifted.exit_code == 0, lifted.output
        assert f"{address}: suppression lifted" in lifted.output
    again = run(config, "subscribers", "reconfirm", relay, "--reason", "twice")
    assert again.exit_code == 1 and "is not suppressed" in again.output

    with store.engine.connect() as conn:
        status = dict(conn.execute(select(t.subscribers.c.email, t.subscribers.c.status)).tuples().all())
        audit = conn.execute(select(t.audit_log.c.action, t.audit_log.c.target, t.audit_log.c.details)).all()
        overrides = conn.execute(select(t.suppression_overrides.c.reason, t.suppression_overrides.c.detail)).all()
    assert status == {relay: "confirmed", soft: "confirmed", gone: "confirmed", kept: "confirmed", spam: "bounced"}
    assert sorted(a.target for a in audit if a.action == "subscriber.reconfirm") == sorted(
        [f"subscriber:{relay}", f"subscriber:{soft}", f"subscriber:{gone}"]
    )
    assert all(json.loads(a.details)["reason"] == "relay login was missing" for a in audit)
    assert sorted(overrides) == [
        ("hard_bounce", "relay login was missing"),
        ("hard_bounce", "relay login was missing"),
        ("soft_bounce", "relay login was missing"),
    ]

    add_edition(store, day=now.date(), now=datetime.now(UTC))
    sent = run(config, "send", "--date", now.date().isoformat())
    assert sent.exit_code == 0, sent.output
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted([relay, soft, gone, kept])
