"""Test helpers in one place: personas for every role, a fresh client per persona, and the
machinery of the authorisation matrix (routes read from the URLconf, rows of expected answers).

Only tests import this module. To add a role, add a :class:`Persona` to :data:`PERSONAS`; the
matrix then fails, naming every row that does not yet say what the new role gets.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal import permissions
from portal.models import ACCESS_ADMINS, AUDITORS, PRIVACY_OFFICERS
from portal.tests.factories import DataAssetFactory, UserFactory

PASSWORD = "correct-horse-battery"  # every UserFactory user's

# --- Personas ---------------------------------------------------------------

SELF = "self"
OWN, OTHER = "own", "other"


class Sphere(NamedTuple):
    """Whose object, on which of the world's assets: ``Sphere("employee", "asset")``."""

    owner: str  # a persona key, or SELF
    asset: str  # a key of ASSETS


EMPLOYEES_OBJECT = Sphere("employee", "asset")


@dataclass(frozen=True)
class Persona:
    key: str
    username: str = ""  # "" for the anonymous visitor
    groups: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()  # global permissions held directly (not through a role)
    reviews: str = ""  # the world's asset this persona reviews (object permission review_dataasset)
    token: bool = False  # calls the API with a token instead of a session
    # In the matrix, an object route is tried on an object of the persona's own sphere (their own
    # request, or one on the asset they review) and on one of another sphere (someone else's, on an
    # asset they do not review). Without ``own`` only the other sphere is tried.
    own: Sphere | None = None
    other: Sphere = EMPLOYEES_OBJECT
    matrix: bool = True  # False: a person the world needs, not a role of its own
    about: str = ""


PERSONAS: tuple[Persona, ...] = (
    Persona("anonymous", about="not signed in"),
    Persona(
        "employee",
        "emma",
        own=Sphere(SELF, "asset"),
        other=Sphere("outsider", "other_asset"),
        about="every active user: requests access, sees their own requests and grants",
    ),
    Persona(
        "reviewer",
        "rita",
        reviews="asset",
        own=Sphere("employee", "asset"),
        other=Sphere("outsider", "other_asset"),
        about="reviews the asset: decides its requests, sees its grants",
    ),
    Persona(
        "other_reviewer",
        "oscar",
        reviews="other_asset",
        own=Sphere("outsider", "other_asset"),
        other=Sphere("employee", "asset"),
        about="a reviewer of another asset: nothing on the first asset",
    ),
    Persona("access_admin", "adam", groups=(ACCESS_ADMINS,), own=Sphere(SELF, "asset"), about="manages assets"),
    Persona("privacy_officer", "petra", groups=(PRIVACY_OFFICERS,), own=Sphere(SELF, "asset")),
    Persona("auditor", "audrey", groups=(AUDITORS,), own=Sphere(SELF, "asset"), about="reads all, changes nothing"),
    Persona(
        "service",
        "svc-datalake",
        permissions=("access.check_access",),
        token=True,
        about="a data system asking the decision point, with an API token",
    ),
    # People the world needs who hold no role of their own.
    Persona("outsider", "olga", matrix=False, about="another employee"),
    Persona("second_reviewer", "ravi", matrix=False, about="a second reviewer, for restricted assets"),
)
PERSONA = {p.key: p for p in PERSONAS}
MATRIX_ROLES = tuple(p.key for p in PERSONAS if p.matrix)


def make_user(key: str):
    """The persona's user (created once per test database transaction), or ``None`` for anonymous."""
    persona = PERSONA[key]
    if not persona.username:
        return None
    user = UserFactory(username=persona.username, groups=list(persona.groups))
    if persona.permissions:
        user.user_permissions.add(*(permissions.permission(p) for p in persona.permissions))
    return user


# --- Clients: one per persona, never one client signed in as several users ----------


def api_client(user=None, *, token: bool = False) -> APIClient:
    """A new API client: anonymous, signed in by session (as the browser is) or with a token."""
    client = APIClient()
    if user is not None and token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    elif user is not None:
        client.force_login(user)
    return client


def web_client(user=None) -> Client:
    """A new Django test client for server-rendered pages, signed in as ``user`` unless ``None``."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- The world of one matrix case -------------------------------------------

ASSETS = {
    "asset": {"name": "Customer contact database", "sensitivity": "confidential"},
    "other_asset": {"name": "Doorbell video feeds", "sensitivity": "confidential"},
}


class World:
    """The people and assets one case needs, created on first use: every case starts from nothing."""

    def __init__(self) -> None:
        self._users: dict[str, Any] = {}
        self._assets: dict[str, Any] = {}

    def user(self, key: str):
        if key not in self._users:
            self._users[key] = make_user(key)
        return self._users[key]

    def asset(self, key: str = "asset"):
        if key not in self._assets:
            reviewers = [self.user(p.key) for p in PERSONAS if p.reviews == key]
            self._assets[key] = DataAssetFactory(**ASSETS[key], reviewers=reviewers)
        return self._assets[key]

    def sphere(self, persona: str, ownership: str) -> tuple[Any, Any]:
        """``(owner, asset)`` of the persona's own or other sphere."""
        sphere = PERSONA[persona].own if ownership == OWN else PERSONA[persona].other
        if sphere is None:
            raise ValueError(f"{persona} has no own sphere")
        owner = self.user(persona if sphere.owner == SELF else sphere.owner)
        return owner, self.asset(sphere.asset)


@dataclass(frozen=True)
class Target:
    """What a ``KINDS`` builder makes the object of one case from: ``owner``'s, on ``asset``.

    ``persona`` and ``ownership`` say who will act on it, for objects whose "own" is not simply
    the owner's (a case that a handler handles).
    """

    world: World
    persona: str
    ownership: str
    owner: Any
    asset: Any


def case_for(target: Target, make: Callable[[Any], Any], *, rights: Iterable[str], another: Callable[[Any], Any]):
    """The case (incident, DSAR) of one matrix cell: ``make(handler)`` builds it with ``handler`` (a user,
    or ``None``) assigned through the app's own service; ``another(handler)`` builds a plainer one.

    Own: the persona handles it. An auditor, whom no service makes a handler, is given the handler's
    ``rights`` on it by hand (a row left from before that rule): they must count for nothing.
    Other: the persona handles *another* case, so each "other" answer is that of a handler of one case
    on a case they do not handle.
    """
    user = target.world.user(target.persona)
    refusal = user is not None and permissions.work_refusal(user)
    if target.ownership == OWN:
        if not refusal:
            return make(user)
        case = make(None)
        for perm in rights:
            permissions.assign(perm, user, case)
        return case
    rights = list(rights)
    if user is not None and PERSONA[target.persona].own and not refusal and not all(map(user.has_perm, rights)):
        another(user)
    return make(None)


# --- Routes, read from the URLconf --------------------------------------------

HTTP_METHODS = ("get", "post", "put", "patch", "delete")  # HEAD follows GET; OPTIONS describes


@dataclass(frozen=True)
class Route:
    name: str  # the URL name with its namespace ("access:grant-detail"), or the pattern if unnamed
    pattern: str  # "access/grants/<int:pk>/"
    methods: tuple[str, ...]
    kwargs: tuple[str, ...]  # the URL's parameters
    named: bool = True  # False: no URL name, or one an earlier route already has (reverse cannot reach it)

    @property
    def api(self) -> bool:
        return re.match(r"api\b", self.pattern) is not None


def _pattern_text(pattern) -> str:
    return str(pattern).removeprefix("^").removesuffix("$")


def _kwargs(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)


def view_methods(callback) -> tuple[str, ...]:
    """The HTTP methods a view answers (other than HEAD and OPTIONS), upper case."""
    actions = getattr(callback, "actions", None)  # a DRF viewset's route
    if actions:
        return tuple(m.upper() for m in HTTP_METHODS if m in actions)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        # A function view: nothing says which methods it takes, so its rows must say what each gets.
        return ("GET", "POST")
    allowed = set(view_class.http_method_names)
    return tuple(m.upper() for m in HTTP_METHODS if m in allowed and hasattr(view_class, m))


def routes(urlconf=None, *, exclude_namespaces: Iterable[str] = ("admin",)) -> dict[str, Route]:
    """Every route of the URLconf (a module, its dotted name, or the project's), by name."""
    excluded = set(exclude_namespaces)
    found: dict[str, Route] = {}

    def walk(patterns, prefix: str, namespace: str, kwargs: tuple[str, ...]) -> None:
        for entry in patterns:
            text = prefix + _pattern_text(entry.pattern)
            params = kwargs + _kwargs(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n)
                if entry.namespace not in excluded:
                    walk(entry.url_patterns, text, inner, params)
                continue
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or text
            named = bool(entry.name) and name not in found
            if name in found:
                name = f"{name} ({text})"
            found[name] = Route(name, text, view_methods(entry.callback), params, named=named)

    walk(get_resolver(urlconf).url_patterns, "", "", ())
    return found


# --- Rows of expected answers ---------------------------------------------------

LOGIN = "sign-in page"  # a redirect to the sign-in page that comes back here (?next=)

Expected = int | str | tuple | Mapping


@dataclass(frozen=True)
class Row:
    """What every role gets from one method of one route.

    ``expect`` maps each matrix role to a status (or :data:`LOGIN`), or for a route that takes an
    id to ``(own, other)``: the answer on an object of the persona's own sphere and on another's.
    ``kind`` names what the id is (a key of the apps' ``KINDS``); ``body`` is a valid body (a dict,
    or a function of the world and the object), so the answer reflects the right, not validation.
    """

    route: str
    method: str
    expect: Mapping[str, Expected]
    kind: str | None = None
    body: Mapping | Callable[..., Mapping] | None = None
    note: str = ""  # why an answer is what it is, where that is not obvious
    url: str = ""  # for a route reverse() cannot build (a catch-all pattern): the URL to try

    def expected(self, persona: str, ownership: str | None) -> int | str:
        value = self.expect[persona]
        if isinstance(value, Mapping):
            return value[ownership]
        if isinstance(value, tuple):
            return value[0] if ownership == OWN else value[1]
        return value


def answers(*, default: Expected | None = None, **by_role: Expected) -> dict[str, Expected]:
    """``expect`` for a row: every matrix role named, or given ``default`` explicitly."""
    unknown = set(by_role) - set(MATRIX_ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    if default is None:
        return dict(by_role)
    return {role: by_role.get(role, default) for role in MATRIX_ROLES}


def page_answers(expect: Mapping[str, Expected], done: int | tuple[int, ...] | None = None) -> dict[str, Expected]:
    """The API's answers as a page gives them: the anonymous are sent to sign in (401 → :data:`LOGIN`),
    and an action done (``done``: a status or several) redirects (302)."""
    done_statuses = done if isinstance(done, tuple) else (done,)

    def page(value):
        if isinstance(value, tuple):
            return tuple(page(v) for v in value)
        return LOGIN if value == 401 else 302 if value in done_statuses else value

    return {role: page(value) for role, value in expect.items()}


def case_answers(ok: Expected, *, read: bool = False, anonymous: Expected = 401) -> dict[str, Expected]:
    """A case (an incident, a DSAR): ``ok`` for its handler (own) and 404 on another case, even one
    handling a case of their own; privacy officers on every case. Auditors read every case (``read``)
    and work none (403), not even one whose handler's rights they hold (see :func:`case_for`)."""
    handler = (ok, 404)
    return answers(
        anonymous=anonymous,
        employee=handler,
        reviewer=handler,
        other_reviewer=handler,
        access_admin=handler,
        privacy_officer=(ok, ok),
        auditor=(ok, ok) if read else (403, 403),
        service=404,
    )


@dataclass(frozen=True)
class Case:
    row: Row
    persona: str
    ownership: str | None

    def __str__(self) -> str:
        where = f"-{self.ownership}" if self.ownership else ""
        return f"{self.row.method} {self.row.route} as {self.persona}{where}"


def cases(rows: Iterable[Row]) -> list[Case]:
    out = []
    for row in rows:
        for role in MATRIX_ROLES:
            if role not in row.expect:
                continue  # the coverage check names it
            if row.kind is None:
                out.append(Case(row, role, None))
                continue
            ownerships = (OWN, OTHER) if PERSONA[role].own else (OTHER,)
            out.extend(Case(row, role, ownership) for ownership in ownerships)
    return out


def coverage_errors(rows: Iterable[Row], found: Mapping[str, Route], kinds: Mapping[str, Callable]) -> list[str]:
    """Everything the table fails to classify, or classifies wrongly, one line each."""
    errors = []
    table: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row.route, row.method)
        if key in table:
            errors.append(f"Two rows for {row.method} {row.route}.")
        table[key] = row
        route = found.get(row.route)
        if route is None or row.method not in route.methods:
            errors.append(f"Row for {row.method} {row.route} names no route and method of the URLconf.")
            continue
        if route.kwargs and row.kind not in kinds:
            errors.append(f"Row for {row.method} {row.route}: its URL takes {route.kwargs}; say what (kind=).")
        if not route.kwargs and row.kind:
            errors.append(f"Row for {row.method} {row.route}: its URL takes no id, yet kind={row.kind!r}.")
        missing = [r for r in MATRIX_ROLES if r not in row.expect]
        if missing:
            errors.append(f"Row for {row.method} {row.route} does not say what {', '.join(missing)} get.")
        unknown = set(row.expect) - set(MATRIX_ROLES)
        if unknown:
            errors.append(f"Row for {row.method} {row.route} names unknown roles {sorted(unknown)}.")
        for role, value in row.expect.items():
            per_object = isinstance(value, tuple | Mapping)
            if per_object and not route.kwargs:
                errors.append(f"Row for {row.method} {row.route}: {role} has one answer, not (own, other).")
            if per_object and role in PERSONA and PERSONA[role].own is None:
                errors.append(f"Row for {row.method} {row.route}: {role} owns nothing; give one answer.")
            if not per_object and route.kwargs and role in PERSONA and PERSONA[role].own:
                errors.append(f"Row for {row.method} {row.route}: give {role} (own, other).")
    for route in found.values():
        if not route.named:
            errors.append(f"/{route.pattern} has no URL name of its own: give it one, so the matrix can reverse it.")
        for method in route.methods:
            if (route.name, method) not in table:
                errors.append(
                    f"No row for {method} {route.name} (/{route.pattern}): classify it in the authorisation "
                    "table of its app (<app>/tests/authorisation.py)."
                )
    return errors


def _matrix_modules():
    """Each project app's ``tests/authorisation.py``, found by name rather than imported, so ``portal``
    depends on no app."""
    base = Path(settings.BASE_DIR).resolve()
    for app in apps.get_app_configs():
        if not Path(app.path).resolve().is_relative_to(base):
            continue
        name = f"{app.name}.tests.authorisation"
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (name, f"{app.name}.tests"):
                continue
            raise


def matrix_tables() -> tuple[list[Row], dict[str, Callable]]:
    """``ROWS`` and ``KINDS`` of every project app's ``tests/authorisation.py``.

    Each app classifies its own routes and says how to make the objects its ids name: ``KINDS[kind](target)``.
    """
    rows: list[Row] = []
    kinds: dict[str, Callable] = {}
    for module in _matrix_modules():
        rows.extend(getattr(module, "ROWS", []))
        for kind, make in getattr(module, "KINDS", {}).items():
            if kind in kinds:
                raise ValueError(f"Two apps define the object kind {kind!r}.")
            kinds[kind] = make
    return rows, kinds


def case_kinds() -> set[str]:
    """The kinds whose "own" is a case the persona handles (built with :func:`case_for`): ``CASE_KINDS``."""
    return {kind for module in _matrix_modules() for kind in getattr(module, "CASE_KINDS", ())}


# --- Running one case ----------------------------------------------------------


def outcome(response) -> int | str:
    """The status, with a redirect to sign in (that would come back here) told apart from other redirects."""
    if response.status_code in (301, 302, 303):
        location = urlsplit(response["Location"])
        if location.path == resolve_url(settings.LOGIN_URL) and "next=" in location.query:
            return LOGIN
    return response.status_code


def _send(client, method: str, url: str, body: Mapping | None, *, api: bool):
    if method == "GET":
        return client.get(url, body or {})
    if api:
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    if method == "POST":
        return client.post(url, body or {})
    return client.generic(method, url, urlencode(body or {}, doseq=True), "application/x-www-form-urlencoded")


def _excerpt(response) -> str:
    if response.status_code in (301, 302, 303):
        return f"Location: {response['Location']}"
    if response.streaming:
        return f"(streamed {response.get('Content-Type', '')})"
    return response.content[:300].decode(errors="replace")


@dataclass
class Result:
    case: Case
    url: str
    expected: int | str
    actual: int | str
    excerpt: str = field(repr=False)

    def __str__(self) -> str:
        note = f" ({self.case.row.note})" if self.case.row.note else ""
        return (
            f"{self.case}: {self.case.row.method} {self.url} should answer {self.expected}, "
            f"answered {self.actual}{note}\n{self.excerpt}"
        )


def run(case: Case, kinds: Mapping[str, Callable], found: Mapping[str, Route]) -> Result:
    """Make a fresh world, the object the URL names, the persona's own client; send; compare."""
    cache.clear()  # throttle counters (the token endpoint) start afresh
    world = World()
    route = found[case.row.route]
    persona = PERSONA[case.persona]
    user = world.user(case.persona)
    obj, url_kwargs = None, {}
    if route.kwargs:
        owner, asset = world.sphere(case.persona, case.ownership)
        obj = kinds[case.row.kind](Target(world, case.persona, case.ownership, owner, asset))
        # The id the URL takes: the object's attribute of that name (``sequence``), else its pk.
        url_kwargs = {route.kwargs[-1]: getattr(obj, route.kwargs[-1], obj.pk)}
    url = case.row.url or reverse(route.name, kwargs=url_kwargs)
    body = case.row.body(world, obj) if callable(case.row.body) else case.row.body
    client = api_client(user, token=persona.token) if route.api else web_client(user)
    response = _send(client, case.row.method, url, body, api=route.api)
    expected = case.row.expected(case.persona, case.ownership)
    return Result(case, url, expected, outcome(response), _excerpt(response))


# --- Answers against the API schema -------------------------------------------------


@functools.cache
def api_schema() -> dict:
    """The OpenAPI document ``/api/schema/`` serves (generated once per test run)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _as_json_schema(node):
    """OpenAPI 3.0's ``nullable: true`` written as JSON Schema, as schemathesis reads it."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _as_json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


def assert_answer_documented(response, path: str, method: str) -> None:
    """``response`` is an answer the schema documents for ``method path`` (the schema's path, with
    ``{id}``): its status code, and a JSON body of that code's shape (the fuzzing's checks, for one answer)."""
    import jsonschema

    schema = api_schema()
    answers = schema["paths"][path][method.lower()]["responses"]
    documented = answers.get(str(response.status_code))
    assert documented is not None, f"{method} {path} answered {response.status_code}; it documents {sorted(answers)}"
    body = documented.get("content", {}).get("application/json", {}).get("schema")
    if body is None:
        assert not response.content, f"{method} {path} documents no body for {response.status_code}"
        return
    validator = jsonschema.Draft202012Validator(
        {**_as_json_schema(body), "components": _as_json_schema(schema["components"])}
    )
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not problems, f"{method} {path} {response.status_code} does not match the schema:\n" + "\n".join(problems)
