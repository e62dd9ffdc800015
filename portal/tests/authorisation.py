"""The authorisation matrix of portal's own routes (see ``portal/testing.py`` and
``portal/tests/test_authorisation_matrix.py``): one row per route and method, one answer per role.

``(own, other)`` is the answer on an object of the persona's own sphere and on someone else's.
"""

from portal import audit, offboarding, permissions
from portal.testing import LOGIN, PASSWORD, PERSONA, Row, answers


def _asset(target):
    # The owner administers the data system itself (what an ``admin`` grant carries): the spec says
    # that gives no right at all inside the portal, so the asset stays an access admin's to change.
    permissions.assign("portal.admin_dataasset", target.owner, target.asset)
    return target.asset


def _user(target):
    return target.owner


def _offboarded_user(target):
    # Someone to reinstate. An offboarded person can no longer act, so one's "own" is another's.
    person = target.owner
    if person == target.world.user(target.persona):
        person = target.world.user("outsider")
    offboarding.user_offboard(actor=target.world.user("access_admin"), user=person, reason="Left the company.")
    person.refresh_from_db()
    return person


def _audit_event(target):
    # An event the owner caused: nobody reads the log by being in it.
    return audit.record(actor=target.owner, action="portal.asset.updated", target=target.asset)


KINDS = {"asset": _asset, "user": _user, "offboarded_user": _offboarded_user, "audit_event": _audit_event}


def _credentials(world, obj):
    return {"username": world.user("employee").username, "password": PASSWORD}


NEW_ASSET = {
    "name": "Loyalty card transactions",
    "description": "Purchases linked to a loyalty card.",
    "sensitivity": "internal",
    "holds_personal_data": True,
    "max_grant_days": 180,
    "reviewers": [],
}


def _same_asset(world, asset):
    return {
        "name": asset.name,
        "description": "Names, e-mail addresses and phone numbers of customers.",
        "sensitivity": asset.sensitivity,
        "holds_personal_data": True,
        "max_grant_days": asset.max_grant_days,
    }


# People pages: access admins, privacy officers and auditors see people; 403 for anyone else
# before any lookup (nobody learns which ids exist). Access admins and privacy officers offboard,
# access admins alone reinstate.
SEE_PEOPLE = answers(default=403, anonymous=LOGIN, access_admin=200, privacy_officer=200, auditor=200)
OFFBOARD = answers(default=403, anonymous=LOGIN, access_admin=200, privacy_officer=200)
OFFBOARD_DONE = answers(default=403, anonymous=LOGIN, access_admin=302, privacy_officer=302)
REINSTATE = answers(default=403, anonymous=LOGIN, access_admin=302)


def per_person(expect):
    """The same answer on one's own person and on another's, for the roles that own something."""
    return {role: (value, value) if PERSONA[role].own else value for role, value in expect.items()}


# The audit log: auditors, access admins and privacy officers read it, all of it; nobody else any
# of it (403 before any lookup: the log is one thing one may read or not).
READ_LOG = answers(default=403, anonymous=LOGIN, access_admin=200, privacy_officer=200, auditor=200)
API_READ_LOG = {**READ_LOG, "anonymous": 401}
READ_EVENT = per_person({**API_READ_LOG, "service": 403})

# Everyone signed in may browse the catalogue; only access admins change it.
CATALOGUE = answers(default=(200, 200), anonymous=LOGIN, service=200)
API_CATALOGUE = answers(default=(200, 200), anonymous=401, service=200)
ASSET_CHANGE = answers(
    anonymous=401,
    employee=(403, 403),
    reviewer=(403, 403),
    other_reviewer=(403, 403),
    access_admin=(200, 200),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=403,
)
CHANGE_NOTE = "only access admins change an asset; an admin grant (admin_dataasset) gives nothing in the portal"

ROWS = [
    # --- Pages -----------------------------------------------------------------
    Row("dashboard", "GET", answers(default=200, anonymous=LOGIN)),
    Row("login", "GET", answers(default=302, anonymous=200), note="signed in: on to the dashboard"),
    Row("login", "POST", answers(default=302), body=_credentials),
    Row("login", "PUT", answers(default=302, anonymous=200), note="Django's FormView: PUT is POST; no data"),
    Row("logout", "POST", answers(default=302)),
    Row("asset-list", "GET", answers(default=200, anonymous=LOGIN)),
    Row("asset-detail", "GET", CATALOGUE, kind="asset"),
    Row("audit-list", "GET", READ_LOG),
    Row("audit-export", "GET", READ_LOG),
    Row("people-list", "GET", SEE_PEOPLE),
    Row("person-detail", "GET", per_person(SEE_PEOPLE), kind="user"),
    Row("person-revoke-all", "GET", per_person(OFFBOARD), kind="user"),
    Row("person-revoke-all", "POST", per_person(OFFBOARD_DONE), kind="user", body={"reason": "Left the company."}),
    Row("person-reinstate", "POST", per_person(REINSTATE), kind="offboarded_user", body={"reason": "Rehired."}),
    # --- API ---------------------------------------------------------------------
    Row("api-token", "POST", answers(default=200), body=_credentials, note="no session: the body's credentials"),
    Row("api-schema", "GET", answers(default=200)),
    Row("api-docs", "GET", answers(default=200)),
    Row("api-asset-list", "GET", answers(default=200, anonymous=401)),
    Row("api-asset-list", "POST", answers(default=403, anonymous=401, access_admin=201), body=NEW_ASSET),
    Row("api-asset-detail", "GET", API_CATALOGUE, kind="asset"),
    Row("api-asset-detail", "PUT", ASSET_CHANGE, kind="asset", body=_same_asset, note=CHANGE_NOTE),
    Row(
        "api-asset-detail",
        "PATCH",
        ASSET_CHANGE,
        kind="asset",
        body={"description": "Names, e-mail addresses and phone numbers of customers."},
        note=CHANGE_NOTE,
    ),
    Row("api-audit-event-list", "GET", API_READ_LOG),
    Row("api-audit-event-detail", "GET", READ_EVENT, kind="audit_event"),
    # Any other /api/ path: a JSON 404 for everyone, whatever the method.
    Row("api-not-found", "GET", answers(default=404), url="/api/no-such-thing"),
    Row("api-not-found", "POST", answers(default=404), url="/api/no-such-thing/"),
]
