"""Sections the later steps add to the request page (package and delivery, erasure), each with its own template.

A step registers, in ``DsarConfig.ready``::

    sections.register("dsar/package/section.html", package_section)

``build(http_request, req)`` returns the section's context (the template reads it as
``section``), or ``None`` to stay hidden. Each must use a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    template: str
    build: Callable
    order: int


_registry: list[Section] = []


def register(template: str, build: Callable, *, order: int = 50) -> None:
    if not any(s.template == template for s in _registry):
        _registry.append(Section(template, build, order))
        _registry.sort(key=lambda s: s.order)


def render(http_request, req) -> list[dict]:
    shown = []
    for section in _registry:
        context = section.build(http_request, req)
        if context is not None:
            shown.append({"template": section.template, **context})
    return shown
