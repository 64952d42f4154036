"""The editorial step: the day's articles -> an edition. Pure: values in, values out.

* :mod:`digest.editorial.pick` — which articles become stories (score, near-duplicates,
  category balance);
* :mod:`digest.editorial.summarize` — extractive summaries (sentences, scoring, styles);
* :mod:`digest.editorial.summarizer` — the ``Summarizer`` port the plan asks for each
  summary, and the extractive one, its first implementation;
* :mod:`digest.editorial.plan` — the five-minute budget: sections, lead, top stories and
  briefs.

Nothing here reads the store, the network or the clock: callers pass ``now``.
"""
