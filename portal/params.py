"""Reading query parameters, one way everywhere (API, pages and list filters).

A yes/no parameter is ``1 true yes on`` or ``0 false no off`` (any case);
absent or empty means the default; anything else is refused: a 400 naming the
parameter in the API (the filtersets' errors, :class:`portal.errors.ValidationError`),
a message on pages (:class:`portal.lists.FilteredListView`).

A list's filters are one django-filter ``FilterSet``; :func:`apply_filters` is
how a selector applies it: a malformed filter is a :class:`ValidationError`
naming it (the API answers 400, a page shows a message: ``portal.api.lists``,
``portal.lists``), never silently dropped as django-filter would.
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


class BoolSelect(forms.Select):
    """Any / Yes / No on a page; sends the raw text so a malformed value is refused, not guessed."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", "Any"), ("true", "Yes"), ("false", "No")])

    def format_value(self, value):
        try:
            parsed = _bool_or_none(value)
        except ValidationError:
            return [str(value)]
        return [] if parsed is None else ["true" if parsed else "false"]


class FlagCheckbox(forms.CheckboxInput):
    """A checkbox for an "only ..." filter: ticked sends ``true``; a malformed value is refused, not ticked."""

    def __init__(self, attrs=None):
        super().__init__({"value": "true", **(attrs or {})}, check_test=_is_true)

    def format_value(self, value):
        return None  # the value attribute stays "true" whatever the query said

    def value_from_datadict(self, data, files, name):
        return data.get(name)  # CheckboxInput would read any text as True


def _bool_or_none(value) -> bool | None:
    if value is None or str(value).strip() == "":
        return None
    return parse_bool(str(value), name="value")


def _is_true(value) -> bool:
    try:
        return bool(_bool_or_none(value))
    except ValidationError:
        return False


class BoolField(forms.Field):
    """A form field reading yes/no with :func:`parse_bool` (``None`` when absent)."""

    widget = BoolSelect

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


class Viewer:
    """What a FilterSet reads as ``request`` when a selector is called with a user, not a request."""

    def __init__(self, user):
        self.user = user


def invalid_filters(filterset: django_filters.FilterSet) -> ValidationError:
    """The error for a FilterSet that did not validate: each malformed filter with its messages."""
    return ValidationError(
        "Some filters are not valid.", fields={k: [str(m) for m in v] for k, v in filterset.errors.items()}
    )


def apply_filters(filterset_class: type[django_filters.FilterSet], filters, queryset, *, user=None):
    """``queryset`` narrowed by ``filters`` (query parameters or a dict); :class:`ValidationError` if malformed."""
    filterset = filterset_class(filters or {}, queryset=queryset, request=Viewer(user))
    if not filterset.is_valid():
        raise invalid_filters(filterset)
    return filterset.qs


def check_filters(params, filterset_class: type[django_filters.FilterSet]):
    """A list's query parameters, refused with 400 naming each malformed one rather than silently ignored."""
    filterset = filterset_class(params, queryset=filterset_class._meta.model._default_manager.none())
    if not filterset.is_valid():
        raise invalid_filters(filterset)
    return params
