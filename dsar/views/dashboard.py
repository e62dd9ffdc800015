"""The DSAR dashboard: requests by status, due in 7 days, overdue, with a small server-rendered chart."""

from __future__ import annotations

from django.views.generic import TemplateView

from dsar import selectors
from dsar.panels import handles_or_sees_requests
from portal.errors import NotFound
from portal.web import PortalViewMixin

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 18, 6, 90, 320


def bar_chart(rows: list[tuple[str, str, int]]) -> dict:
    """SVG geometry for a horizontal bar chart of ``(label, key, count)`` rows (no JavaScript)."""
    top = max((count for _, _, count in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 40
    bars = []
    for index, (label, key, count) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = round(span * count / top) if count else 0
        bars.append(
            {
                "label": label,
                "key": key,
                "count": count,
                "y": y,
                "text_y": y + BAR_HEIGHT - 5,
                "width": width,
                "count_x": LABEL_WIDTH + width + 6,
            }
        )
    height = len(rows) * (BAR_HEIGHT + BAR_GAP)
    return {"bars": bars, "width": CHART_WIDTH, "height": height, "label_width": LABEL_WIDTH, "bar_height": BAR_HEIGHT}


class DashboardView(PortalViewMixin, TemplateView):
    template_name = "dsar/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not handles_or_sees_requests(user):
            raise NotFound()
        counts = selectors.dashboard_counts(user)
        return {
            **super().get_context_data(**kwargs),
            "counts": counts,
            "chart": bar_chart(counts["by_status"]),
            "near": [*selectors.near_deadline(user, limit=10)],
        }
