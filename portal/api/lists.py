"""List endpoints, one way: the page's FilterSet validates the query (400 naming each bad filter), then one
selector call gives the rows and DRF's pagination (``portal.api.pagination``) a page of them.

The web pages do the same with :class:`portal.lists.FilteredListView` and the same FilterSet, so
a filter the API refuses is one the page refuses too (there with a message).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import FilterSet
from rest_framework import mixins, viewsets

from portal.params import check_filters


class FilteredListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """``GET`` of a list: set ``filterset_class`` and ``serializer_class``, implement :meth:`select`.

    Object routes (retrieve and actions) look up through their selector's ``*_get`` in ``get_object``.
    """

    filterset_class: type[FilterSet] | None = None
    filter_backends: list = []  # the selector applies the FilterSet; DRF's backend would apply it twice

    def select(self, filters) -> QuerySet:
        """The rows for ``filters`` (the query parameters): one selector call."""
        raise NotImplementedError

    def get_queryset(self):
        params = self.request.query_params if self.action == "list" else {}  # filters are the list's
        if self.filterset_class is not None:
            check_filters(params, self.filterset_class)
        return self.select(params)
