"""Delivery: claiming delivery rows, the SMTP pool, outcomes, bounces, and transactional mail.

* :mod:`~digest.deliver.sender` — the sender loop (:func:`run_sender`): claim a batch,
  make each message, mark ``sending``, send over the pool, write each outcome;
* :mod:`~digest.deliver.jobs`, :mod:`~digest.deliver.writer` — its queue of messages
  and its group commit of outcomes;
* :mod:`~digest.deliver.breaker` — stops a send when refusals of ours or temporary ones
  dominate, so nobody is charged for them;
* :mod:`~digest.deliver.ledger` — this sender's claims on the delivery table, on a
  database thread of its own; crashed local senders recognised by their pid;
* :mod:`~digest.deliver.pool` — up to N reused aiosmtplib connections (TLS, STARTTLS,
  AUTH), fewer while the server throttles; :mod:`~digest.deliver.wire` — a transaction
  on the fast path;
* :mod:`~digest.deliver.pacer` — the pool's token bucket, slowed by throttling;
* :mod:`~digest.deliver.replies` — RFC 5321/3463 replies: whose fault (the reader's,
  temporary, ours), whether an attempt is charged, sent/retry/failed/untried, backoff;
* :mod:`~digest.mail.envelope` — MAIL FROM and VERP;
* :mod:`~digest.deliver.bounce_reports` — DSNs and complaints that arrive later;
* :mod:`~digest.deliver.mailer` — any other mail (confirmations) on the same path:
  [smtp] connection, envelope, reply classification, DKIM;
* :mod:`~digest.mail.transactional` — the double opt-in confirmation message.
"""
