"""Pages that apps extend: the dashboard, the asset page and the person page are lists of panels.

An app registers its panels in ``AppConfig.ready``::

    panels.register("dashboard", "access/panels/my_grants.html", my_grants_panel, order=10)
    panels.register("asset", "access/panels/asset_access.html", asset_access_panel)

A panel function takes the request (and, on the asset page, the asset; on
the person page of ``/people/<id>/``, the person) and
returns its template context, or ``None`` to stay hidden. Each must use a
constant number of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

SLOTS = ("dashboard", "asset", "person")


@dataclass(frozen=True)
class Panel:
    template: str
    build: Callable
    order: int


_registry: dict[str, list[Panel]] = defaultdict(list)


def register(slot: str, template: str, build: Callable, *, order: int = 50) -> None:
    if slot not in SLOTS:
        raise ValueError(f"Unknown panel slot {slot!r}; use one of {SLOTS}.")
    panels = _registry[slot]
    if not any(p.template == template for p in panels):
        panels.append(Panel(template, build, order))
        panels.sort(key=lambda p: p.order)


@dataclass(frozen=True)
class NavItem:
    label: str | Callable  # or a function of the user, when the page reads differently to different roles
    url_name: str
    visible: Callable
    order: int


_nav: list[NavItem] = []


def register_nav(
    label: str | Callable, url_name: str, *, visible: Callable = lambda user: True, order: int = 50
) -> None:
    """A link in the top navigation, shown to users for whom ``visible(user)`` holds."""
    if not any(n.url_name == url_name for n in _nav):
        _nav.append(NavItem(label, url_name, visible, order))
        _nav.sort(key=lambda n: n.order)


def nav_for(user) -> list[dict]:
    from django.urls import reverse

    return [
        {"label": n.label(user) if callable(n.label) else n.label, "url": reverse(n.url_name)}
        for n in _nav
        if n.visible(user)
    ]


def render(slot: str, request, *args) -> list[dict]:
    shown = []
    for panel in _registry[slot]:
        context = panel.build(request, *args)
        if context is not None:
            shown.append({"template": panel.template, **context})
    return shown
