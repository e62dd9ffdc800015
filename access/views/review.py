"""The reviewer's queue: requests waiting for their decision and break-glass uses to review."""

from __future__ import annotations

from django.core.paginator import Paginator

from access import panels, policy, selectors
from portal.lists import FilteredListView

USES_PER_PAGE = 25


class ReviewQueueView(FilteredListView):
    template_name = "access/review_queue.html"
    context_object_name = "requests"
    filterset_class = selectors.RequestFilter
    shown_filters = ("scope",)

    def select(self, filters):
        return selectors.review_queue(user=self.request.user, filters=filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panels.with_approvals(context["object_list"])
        policy.with_awaiting(context["object_list"])
        uses = Paginator(selectors.break_glass_queue(user=self.request.user), USES_PER_PAGE).get_page(
            self.request.GET.get("uses_page")
        )
        panels.mark_grants(uses.object_list)
        return {**context, "uses": uses}
