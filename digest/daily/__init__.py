"""The orchestrator: the only package that knows the order of a day's steps.

* :mod:`digest.daily.build`: build a date's editions (store -> select -> summarise ->
  fit the budget -> store);
* :mod:`digest.daily.editions`: which date, which editions have something to send, and
  their fan-out due now, without importing the build (a sender's start stays light);
* :mod:`digest.daily.tick`: what the scheduler does at an instant (plan the day, decide
  send or skip, catch up, build, fan out at each subscriber's send time);
* :mod:`digest.daily.send`: the operator's send (release, retry, fan-out, helper
  processes, dry run, test copies);
* :mod:`digest.daily.preview`: one edition as a subscriber gets it;
* :mod:`digest.daily.demo`: the demo's steps;
* :mod:`digest.daily.status`: where deliveries stand.

The front doors (digest.cli, digest.web, the scheduler adapter digest.runtime.scheduler) call
these functions and print or serve what they return; nothing here imports them.
"""
