"""Every change an operator or an admin makes, written once: check the role, write, audit.

The CLI, the console and the JSON API are doors: they parse, call one function of this
package and present its answer. Each function here opens :meth:`Operations.act` with
its one action name (``edition.approve``), which refuses an actor whose role is too
low, runs the write and its audit row in one transaction, and records the door the
actor came through. So the same change made from any door leaves the same audit row.

* :mod:`digest.actions.core` — :class:`Actor`, :class:`Operations`, the registry of
  action names and the roles they need;
* one module per resource (editions, deliveries, subscribers, feeds, admins...).
"""

from digest.actions.core import ACTIONS, Act, Actor, Door, Forbidden, Operations, Store, declare

# ``Store`` is here for the doors' type annotations only (the web app is handed one by
# the composition root and passes it on inside :class:`Operations`); no door calls it.
__all__ = ["ACTIONS", "Act", "Actor", "Door", "Forbidden", "Operations", "Store", "declare"]
