"""Authorisation matrix: every route and method of the URLconf, by every role, on own and others' objects.

An object a user may not see answers 404; an action they may not take, 403 (SPEC "Security and
reliability"). The routes come from ``django.urls.get_resolver()``; what each role gets is written
in each app's ``tests/authorisation.py``. A route missing from those tables fails
:func:`test_every_route_and_method_is_classified`, so every new endpoint and page is classified.
"""

import types

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView
from rest_framework.test import APIClient

import portal.urls
from portal import testing

ROUTES = testing.routes()
ROWS, KINDS = testing.matrix_tables()
CASES = testing.cases(ROWS)


def test_every_route_and_method_is_classified():
    errors = testing.coverage_errors(ROWS, ROUTES, KINDS)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_authorisation(case, db):
    result = testing.run(case, KINDS, ROUTES)
    if result.actual != result.expected:
        pytest.fail(str(result), pytrace=False)


# The routes anyone may use without signing in, each with why. Every other route sends the anonymous to
# sign in (a page) or answers 401 (the API); one that starts answering them otherwise fails below.
PUBLIC = {
    "login": "the sign-in page itself",
    "logout": "signing out: for someone not signed in, a redirect to sign in",
    "api-token": "trades a username and password for a token (throttled); no session is read",
    "api-schema": "the API's description: no data",
    "api-docs": "the API's browsable docs: no data",
    "api-not-found": "a JSON 404 for any unknown /api/ path",
    "api-dsar-intake": "data subjects file requests without an account (SPEC: no login, throttled, the same 202)",
    "dsar:intake": "the public DSAR form (SPEC: no login, throttled)",
    "dsar:verify": "the verification link mailed to the subject: the signed, single-use token is the authority",
    "dsar:package-download": "the download link mailed to the subject: the token is the authority",
}
SIGN_IN_FIRST = (401, testing.LOGIN)


def test_only_the_listed_public_routes_answer_the_anonymous():
    public = {(row.method, row.route) for row in ROWS if row.expect.get("anonymous") not in SIGN_IN_FIRST}
    unlisted = [f"{method} {route}" for method, route in sorted(public) if route not in PUBLIC]
    stale = [route for route in PUBLIC if route not in {r for _, r in public}]

    assert not unlisted, f"Answer the anonymous without sign-in, yet not in PUBLIC: {unlisted}"
    assert not stale, f"In PUBLIC, yet sign-in first everywhere (or gone): {stale}"


# Writes that use no cookie, so there is nothing for a forged cross-site request to ride on.
NO_SESSION = {
    ("api-token", "POST"): "trades a username and password for a token; no session is read",
    ("api-not-found", "POST"): "changes nothing: a JSON 404 for any method",
}
WRITES = [row for row in ROWS if row.method != "GET" and (row.route, row.method) not in NO_SESSION]


@pytest.mark.parametrize("row", WRITES, ids=lambda row: f"{row.method} {row.route}")
def test_every_write_with_a_session_needs_the_csrf_token(row, db):
    route = ROUTES[row.route]
    client = (APIClient if route.api else Client)(enforce_csrf_checks=True)
    client.force_login(testing.make_user("employee"))
    # The check runs before the view looks anything up, so any id will do.
    url = row.url or reverse(row.route, kwargs=dict.fromkeys(route.kwargs, 1))

    response = client.generic(row.method, url, "{}", content_type="application/json")

    assert response.status_code == 403, response.content[:200]
    assert b"CSRF" in response.content


# --- The test of the test -------------------------------------------------------


class _Extra(TemplateView):
    template_name = "portal/dashboard.html"


class _ExtraAction(View):
    def post(self, request, pk):
        raise NotImplementedError


def _urlconf(*extra):
    module = types.ModuleType("urls_with_more")
    module.urlpatterns = [*portal.urls.urlpatterns, *extra]
    return module


def _new_errors(rows, found) -> list[str]:
    """What the table gets wrong about ``found`` beyond what it gets wrong about the real URLconf."""
    known = set(testing.coverage_errors(ROWS, ROUTES, KINDS))
    return [e for e in testing.coverage_errors(rows, found, KINDS) if e not in known]


def test_a_route_nobody_classified_fails_the_coverage_check():
    found = testing.routes(_urlconf(path("reports/", _Extra.as_view(), name="report-list")))

    assert _new_errors(ROWS, found) == [
        "No row for GET report-list (/reports/): classify it in the authorisation table of its app "
        "(<app>/tests/authorisation.py)."
    ]


def test_each_method_of_a_route_needs_its_row():
    found = testing.routes(_urlconf(path("reports/<int:pk>/close/", _ExtraAction.as_view(), name="report-close")))
    row = testing.Row("report-close", "POST", {}, kind="request")

    roles = ", ".join(testing.MATRIX_ROLES)
    assert _new_errors([*ROWS, row], found) == [f"Row for POST report-close does not say what {roles} get."]


def test_rows_for_routes_that_are_gone_and_ids_without_a_kind_are_named():
    stale = testing.Row("report-list", "GET", testing.answers(default=200))
    found = testing.routes(_urlconf(path("reports/<int:pk>/", _Extra.as_view(), name="report-detail")))
    no_kind = testing.Row("report-detail", "GET", testing.answers(default=(200, 404), anonymous=401, service=404))

    assert _new_errors([*ROWS, stale, no_kind], found) == [
        "Row for GET report-list names no route and method of the URLconf.",
        "Row for GET report-detail: its URL takes ('pk',); say what (kind=).",
    ]


def test_a_route_without_its_own_name_cannot_be_reached_and_is_named():
    found = testing.routes(_urlconf(path("reports/", _Extra.as_view())))

    assert _new_errors(ROWS, found) == [
        "/reports/ has no URL name of its own: give it one, so the matrix can reverse it.",
        "No row for GET reports/ (/reports/): classify it in the authorisation table of its app "
        "(<app>/tests/authorisation.py).",
    ]


def test_the_matrix_reads_methods_from_each_kind_of_view():
    assert ROUTES["dashboard"].methods == ("GET",)
    assert ROUTES["access:request-approve"].methods == ("POST",)
    assert ROUTES["api-asset-detail"].methods == ("GET", "PUT", "PATCH")
    assert ROUTES["api-access-check"].methods == ("POST",)
    assert ROUTES["access:grant-detail"].kwargs == ("pk",)


def test_a_wrong_answer_fails_naming_the_route_the_role_and_the_object(db):
    row = testing.Row("api-grant-detail", "GET", {"employee": (404, 404)}, kind="grant")
    result = testing.run(testing.Case(row, "employee", testing.OWN), KINDS, ROUTES)

    assert result.actual == 200
    assert str(result).startswith("GET api-grant-detail as employee-own: GET /api/grants/")
    assert "should answer 404, answered 200" in str(result)


# --- The Django admin: staff only ----------------------------------------------------


def _changelists():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


@pytest.mark.parametrize("role", [r for r in testing.MATRIX_ROLES if r != "service"])
def test_the_admin_sends_everyone_but_staff_to_its_sign_in(role, db):
    client = testing.web_client(testing.make_user(role))
    for url in [reverse("admin:index"), *_changelists()]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_staff_reach_the_admin_and_every_changelist(db):
    owner = testing.make_user("access_admin")
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    client = testing.web_client(owner)
    for url in [reverse("admin:index"), *_changelists()]:
        assert client.get(url).status_code == 200, url


# --- What the table itself must say, whatever the app ---------------------------------------

WRITES = ("POST", "PUT", "PATCH", "DELETE")
NO_SESSION_NEEDED = {"login", "logout", "api-token"}  # signing in and out are not changes to anything


def _answer(row, role, ownership):
    try:
        return row.expected(role, ownership)
    except (KeyError, IndexError):
        return None


def _done(value) -> bool:
    return isinstance(value, int) and value < 400


# Objects that are not someone's case: the asset register every employee reads (and requests from),
# and pages about people and the audit log that roles, not ownership, open (403 for the rest).
SHARED_KINDS = {"asset", "user", "offboarded_user", "audit_event"}
# Links mailed to a data subject: the token is the authority, whoever holds it and whether signed in or not.
BEARER_KINDS = {"dsar_link", "dsar_download"}
# Incidents and DSARs, their tasks, evidence, packages...: "own" is the case the persona handles.
CASE_KINDS = testing.case_kinds()


def test_the_auditor_role_adds_no_write_anywhere():
    """Auditors read everything and change nothing: on someone else's case every write is refused, on a case
    whose handler's rights they hold too, and elsewhere they may do only what any employee may (report an
    incident, request access for themselves, cancel their own request)."""
    rows, _ = testing.matrix_tables()
    wrong = []
    for row in rows:
        if row.method not in WRITES or row.route in NO_SESSION_NEEDED:
            continue
        if row.kind in BEARER_KINDS:
            continue
        if row.kind is None or row.kind in SHARED_KINDS:
            ownerships = (None,) if row.kind is None else (testing.OWN, testing.OTHER)
            for ownership in ownerships:
                if _done(_answer(row, "auditor", ownership)) and not _done(_answer(row, "employee", ownership)):
                    wrong.append(f"{row.method} {row.route}: the auditor may, an employee may not")
        elif _done(_answer(row, "auditor", testing.OTHER)):
            wrong.append(f"{row.method} {row.route}: the auditor changes someone else's {row.kind}")
        elif row.kind in CASE_KINDS and _done(_answer(row, "auditor", testing.OWN)):
            # The auditor's "own" case is one whose handler's rights they hold: those count for nothing.
            wrong.append(f"{row.method} {row.route}: the auditor works a {row.kind} whose handler's rights they hold")
    assert not wrong, "\n".join(wrong)


def test_another_case_is_invisible_to_an_employee_or_its_handler():
    """An employee, a reviewer or a handler (whose "own" is the case they handle, and who on "other" handles
    another case: ``testing.case_for``) never acts on, nor learns of, a case outside their sphere: another's
    request, grant, incident, DSAR or review item answers 404 to every read and every action, never 403."""
    rows, _ = testing.matrix_tables()
    wrong = []
    for row in rows:
        if row.kind in BEARER_KINDS:
            continue
        if row.kind is None or row.kind in SHARED_KINDS:
            continue
        # Access admins see every access request and grant, but only the incidents and DSARs they handle.
        extra = ("access_admin",) if row.kind in CASE_KINDS else ()
        for role in ("employee", "reviewer", "other_reviewer", *extra):
            answer = _answer(row, role, testing.OTHER)
            if answer != 404:
                wrong.append(f"{row.method} {row.route}: {role} gets {answer} on another's {row.kind}")
    assert not wrong, "\n".join(wrong)
