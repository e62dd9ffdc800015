"""List pages, one way: a FilterSet validated as the API validates it, its form, a page of rows.

A list page names its ``filterset_class`` (the same one its selector applies
and its API endpoint validates) and implements :meth:`FilteredListView.select`
(one selector call). A malformed filter never silently widens or narrows the
list: the page says which filter is wrong, shows it marked in the form, and
lists what it shows by default. ``templates/portal/includes/filters.html``
renders the form (plain GET, no JavaScript); ``portal/pagination.html`` the pager.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import QueryDict
from django.views.generic import ListView
from django_filters import FilterSet

from portal.web import PortalViewMixin

PAGE_SIZE = 50
BAD_FILTERS = "Some filters are not valid."


def filter_problems(filterset: FilterSet) -> str:
    """Each malformed filter by its label, with what is wrong: "Status: Select a valid choice. ..."."""
    labels = {name: str(field.label or name) for name, field in filterset.form.fields.items()}
    return "; ".join(f"{labels.get(name, name)}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())


class FilteredListView(PortalViewMixin, ListView):
    """A paginated list page whose filters are a FilterSet.

    Subclasses set ``filterset_class`` and ``template_name``, implement
    :meth:`select`, and may override :meth:`default_filters` (what the page shows
    with no filter given, and after a bad one), ``shown_filters`` (the form's
    fields on the page; another filter appears only when the query gives it)
    and :meth:`adjust_form` (widgets that depend on the user).
    """

    filterset_class: type[FilterSet] | None = None
    shown_filters: tuple[str, ...] | None = None  # None: every filter of the FilterSet
    paginate_by = PAGE_SIZE

    def default_filters(self) -> dict:
        return {}

    def select(self, filters) -> QuerySet:
        """The rows for ``filters``: one selector call (it applies the same FilterSet)."""
        raise NotImplementedError

    def adjust_form(self, form) -> None:
        """Change the filter form's widgets for this user (e.g. drop a filter they cannot use)."""

    def get_queryset(self):
        data = self.filter_data()
        self.filterset = None
        if self.filterset_class is not None:
            # Bound to the query only to validate it and show the form: the selector filters the rows.
            none = self.filterset_class._meta.model._default_manager.none()
            self.filterset = self.filterset_class(data, queryset=none, request=self.request)
        if self.filterset is not None and not self.filterset.is_valid():
            self.filters = self.default_filters()
            rows = self.select(self.filters)  # first: one who may not see the list gets 403, not a message
            problems = filter_problems(self.filterset)
            messages.error(self.request, f"{BAD_FILTERS} Showing the list as it opens, without them. {problems}")
            return rows
        self.filters = data
        return self.select(data)

    def cleaned(self, name: str):
        """The validated value of filter ``name`` as applied (``None`` when absent or after a bad filter)."""
        if self.filterset is None or not self.filterset.is_valid() or name not in self.filterset.form.cleaned_data:
            return None
        return self.filterset.form.cleaned_data[name]

    def filter_data(self) -> QueryDict:
        """The query string with the page's defaults for the filters it does not give."""
        data = self.request.GET.copy()
        for name, value in self.default_filters().items():
            if name not in data:
                data.setlist(name, value if isinstance(value, list) else [value])
        return data

    def get_context_data(self, **kwargs):
        form = self.filterset.form if self.filterset is not None else None
        if form is not None:
            if self.shown_filters is not None:
                for name in list(form.fields):
                    if name not in self.shown_filters and not self.request.GET.get(name):
                        del form.fields[name]
            self.adjust_form(form)
        return super().get_context_data(filter_form=form, filters=self.filters, **kwargs)
