"""The demo's data-subject requests, added to ``seed_demo`` (which calls every app's ``demo.seed``)."""

from __future__ import annotations

from dsar.connectors import demo as connectors_demo


def seed(context: dict) -> None:
    # First the customer database the demo assets reach through the SQL connector (the recordings story).
    context["sql_sources"] = connectors_demo.seed(context)

    # The recordings story: the guard stops Ann's package, Bob's is delivered (dsar/package/demo.py).
    from dsar.package import demo as package_demo

    package_demo.seed(context)
