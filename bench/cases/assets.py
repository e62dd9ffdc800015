"""The assets a user may use, filtered through guardian, against the unfiltered catalogue.

One employee holds an active ``use`` grant on every other asset (the grant
row, the truth the usable filter reads, and the guardian row it carries) and
one reviewer reviews them all, so the reviewer prefetch
has rows to fetch. The estate grows from 10 to 1,000 assets (100,000 with
``--large``); at each size the selector and the API endpoint are counted and
timed next to their unfiltered baselines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import Grant
from bench.core import Case, Context, Figure, Queries, Timing, analyze, bulk_create, count_queries, timed_pair
from portal import permissions, selectors
from portal.models import DEFAULT_MAX_GRANT_DAYS, DataAsset, DataAssetUserObjectPermission, Sensitivity

NAME = "assets"
SELECTOR = "asset_list(filters={'usable': True})"
ENDPOINT = "GET /api/assets/?usable=1"


@dataclass
class Measured:
    """One target (selector or endpoint) at one size, with its baseline."""

    assets: int
    rows: int  # rows the filtered target returned
    base_rows: int
    queries: Queries
    base_queries: Queries
    timing: Timing
    base_timing: Timing


def _grow(have: int, want: int, *, user, reviewer) -> None:
    """Add assets ``have..want-1``; the user may use the even ones, the reviewer reviews all."""
    sensitivities = list(Sensitivity.values)
    bulk_create(
        DataAsset,
        (
            DataAsset(
                name=f"Bench asset {i:07d}",
                description="Customer records for the benchmark.",
                sensitivity=sensitivities[i % len(sensitivities)],
                data_categories=["contact details"],
                max_grant_days=DEFAULT_MAX_GRANT_DAYS[sensitivities[i % len(sensitivities)]],
            )
            for i in range(have, want)
        ),
    )
    new = DataAsset.objects.filter(name__gte=f"Bench asset {have:07d}").values_list("pk", flat=True).order_by("name")
    use = permissions.permission("portal.use_dataasset")
    review = permissions.permission("portal.review_dataasset")

    def rows():
        for offset, pk in enumerate(new.iterator(chunk_size=5000)):
            if (have + offset) % 2 == 0:
                yield DataAssetUserObjectPermission(user=user, permission=use, content_object_id=pk)
            yield DataAssetUserObjectPermission(user=reviewer, permission=review, content_object_id=pk)

    bulk_create(DataAssetUserObjectPermission, rows())
    now = timezone.now()
    bulk_create(
        Grant,
        (
            Grant(user=user, asset_id=pk, scope="use", granted_at=now, expires_at=now + timedelta(days=30))
            for offset, pk in enumerate(new.iterator(chunk_size=5000))
            if (have + offset) % 2 == 0
        ),
    )
    analyze(DataAsset, DataAssetUserObjectPermission, Grant)


def _measure_selector(n: int, user, repeat: int) -> Measured:
    users = get_user_model().objects

    def fresh() -> tuple:
        # A user fetched anew each time, as a request has: no permission cache left from the last call.
        return (users.get(pk=user.pk),)

    def usable(u) -> list:
        return list(selectors.asset_list(user=u, filters={"usable": True}))

    def everything(u) -> list:
        return list(DataAsset.objects.all())

    (u,) = fresh()
    rows, base_rows = len(usable(u)), len(everything(u))
    (u,) = fresh()
    queries = count_queries(lambda: usable(u))
    base_queries = count_queries(lambda: everything(u))
    timing, base_timing = timed_pair(usable, everything, setup=fresh, repeat=repeat, budget=3.0)
    return Measured(n, rows, base_rows, queries, base_queries, timing, base_timing)


def _measure_endpoint(n: int, client: APIClient, repeat: int) -> Measured:
    def get(path: str) -> dict:
        response = client.get(path)
        if response.status_code != 200:
            raise AssertionError(f"{path} answered {response.status_code}")
        return response.json()

    rows = get("/api/assets/?usable=1")["count"]
    base_rows = get("/api/assets/")["count"]
    queries = count_queries(lambda: get("/api/assets/?usable=1"))
    base_queries = count_queries(lambda: get("/api/assets/"))
    timing, base_timing = timed_pair(
        lambda: get("/api/assets/?usable=1"), lambda: get("/api/assets/"), repeat=repeat, budget=3.0
    )
    return Measured(n, rows, base_rows, queries, base_queries, timing, base_timing)


def _figures(label: str, baseline: str, results: list[Measured], page: int | None = None) -> list[Figure]:
    first = results[0]
    figures = []
    for m in results:
        if m is first:
            growth = f"vs {baseline}"
        elif m.queries.count == first.queries.count:
            growth = f"same as at {first.assets:,}: does not grow"
        else:
            growth = f"GROWS: {first.queries.count} at {first.assets:,}"
        figures.append(
            Figure(
                NAME,
                f"{label} queries, {m.assets:,} assets",
                m.queries.count,
                "queries",
                m.base_queries.count,
                note=growth,
                params={"assets": m.assets, "sql": list(m.queries.sql), "baseline_sql": list(m.base_queries.sql)},
            )
        )
    for m in results:
        shown = f"{min(m.rows, page):,} of {m.rows:,}" if page else f"{m.rows:,}"
        base_shown = f"{min(m.base_rows, page):,} of {m.base_rows:,}" if page else f"{m.base_rows:,}"
        figures.append(
            Figure(
                NAME,
                f"{label} time, {m.assets:,} assets",
                m.timing.median_ms,
                "ms",
                m.base_timing.median_ms,
                note=f"median of {len(m.timing.runs)}; {shown} rows vs {base_shown}",
                params={
                    "assets": m.assets,
                    "runs_ms": [r * 1000 for r in m.timing.runs],
                    "baseline_runs_ms": [r * 1000 for r in m.base_timing.runs],
                },
            )
        )
    return figures


def run(ctx: Context) -> list[Figure]:
    sizes = [10, 1_000, *([100_000] if ctx.large else [])]
    users = get_user_model().objects
    user = users.create(username="bench-emma", email="emma@example.com")
    reviewer = users.create(username="bench-rita", email="rita@example.com")
    client = APIClient()
    client.force_login(user)

    selector_results, endpoint_results = [], []
    have = 0
    for n in sizes:
        _grow(have, n, user=user, reviewer=reviewer)
        have = n
        repeat = 15 if n <= 1_000 else 5
        selector = _measure_selector(n, user, repeat)
        endpoint = _measure_endpoint(n, client, repeat)
        expected = (n + 1) // 2
        if selector.rows != expected or endpoint.rows != expected:
            raise AssertionError(f"user should see {expected} assets, got {selector.rows} and {endpoint.rows}")
        selector_results.append(selector)
        endpoint_results.append(endpoint)

    page = client.get("/api/assets/").json()
    page_size = len(page["results"])
    return [
        *_figures(SELECTOR, "list(DataAsset.objects.all())", selector_results),
        *_figures(ENDPOINT, "same endpoint without ?usable", endpoint_results, page=page_size),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="assets a user may use (guardian filter), selector and API, vs the unfiltered list, at 10 and 1,000",
)
