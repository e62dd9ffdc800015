"""Reading query parameters, one way everywhere (API, pages and list filters).

A yes/no parameter is ``1 true yes on`` or ``0 false no off`` (any case);
absent or empty means the default; anything else is refused: a 400 naming the
parameter in the API (the filtersets' errors, :class:`portal.errors.ValidationError`),
a message on pages (:func:`portal.web.query_bool`).
"""

from __future__ import annotations

import django_filters
from django import forms

from portal.errors import ValidationError

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
BOOL_HELP = "Use 1, true, yes or on; or 0, false, no or off."


def parse_bool(value: str | None, *, name: str, default: bool = False) -> bool:
    """``value`` of the query parameter ``name`` as a bool; :class:`ValidationError` naming it if malformed."""
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValidationError(f"{name} must be yes or no.", fields={name: BOOL_HELP})


class BoolField(forms.Field):
    """A form field reading yes/no with :func:`parse_bool` (``None`` when absent)."""

    def to_python(self, value):
        if value is None or str(value).strip() == "":
            return None
        try:
            return parse_bool(str(value), name=str(self.label or "value"))
        except ValidationError as exc:
            raise forms.ValidationError(BOOL_HELP, code="invalid") from exc


class BoolFilter(django_filters.BooleanFilter):
    """django-filter's BooleanFilter reading yes/no with :func:`parse_bool`; absent means no filter."""

    field_class = BoolField


def check_filters(params, filterset_class: type[django_filters.FilterSet]):
    """A list's query parameters, refused with 400 naming each malformed one rather than silently ignored."""
    filterset = filterset_class(params, queryset=filterset_class._meta.model._default_manager.none())
    if not filterset.is_valid():
        raise ValidationError(
            "Some filters are not valid.", fields={k: [str(m) for m in v] for k, v in filterset.errors.items()}
        )
    return params
