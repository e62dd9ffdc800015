"""The authorisation matrix of access/ routes (see ``portal/testing.py`` and
``portal/tests/test_authorisation_matrix.py``): one row per route and method, one answer per role.

``(own, other)`` is the answer on an object of the persona's own sphere and on someone else's:
for an employee, admins and the auditor their own request or grant vs an employee's; for a
reviewer one on the asset they review vs one on an asset they do not. The world's assets are
confidential, so only their reviewers decide requests. Web actions answer 302 when done.
"""

from access.tests.factories import JUSTIFICATION, AccessRequestFactory, make_break_glass, make_grant
from portal.testing import Row, answers, page_answers


def _request(target):
    return AccessRequestFactory(requester=target.owner, asset=target.asset)


def _grant(target):
    return make_grant(target.owner, target.asset)


def _break_glass(target):
    return make_break_glass(target.owner, target.asset)


KINDS = {"request": _request, "grant": _grant, "break_glass": _break_glass}

COMMENT = {"comment": "Needed for the churn study this quarter."}
REASON = {"reason": "The project has ended."}
NEW_REQUEST = {"scope": "use", "justification": JUSTIFICATION, "duration_days": 30}
BREAK_GLASS = {"scope": "use", "justification": JUSTIFICATION, "hours": 4}


def _with_asset(body):
    return lambda world, obj: {"asset": world.asset().pk, **body}


def _check(world, obj):
    return {"user": world.user("employee").pk, "asset": world.asset().pk, "scope": "use"}


# The same rights on a page: the anonymous are sent to sign in, and ``done`` is a redirect.
web = page_answers


# Who sees an object: its owner, the asset's reviewers, and the roles that see everything.
SEE = answers(
    anonymous=401,
    employee=(200, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(200, 200),
    privacy_officer=(200, 200),
    auditor=(200, 200),
    service=404,
)
# Deciding: the asset's reviewers, never the requester (the world's assets are confidential).
DECIDE = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(403, 403),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=404,
)
# Cancelling: the requester only.
CANCEL = answers(
    anonymous=401,
    employee=(200, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(200, 403),
    privacy_officer=(200, 403),
    auditor=(200, 403),
    service=404,
)
# Revoking: the grantee, the asset's reviewers and access admins.
REVOKE = answers(
    anonymous=401,
    employee=(200, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(200, 200),
    privacy_officer=(200, 403),
    auditor=(200, 403),
    service=404,
)
# Reviewing a break-glass use: the asset's reviewers and privacy officers, never the user.
REVIEW = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(403, 403),
    privacy_officer=(403, 200),
    auditor=(403, 403),
    service=404,
)
LIST = answers(default=200, anonymous=401)
# Every active user may ask for access and break the glass on any asset of the catalogue.
ASK = answers(default=201, anonymous=401)
ASK_ON_ASSET = answers(default=(201, 201), anonymous=401, service=201)
OWN_THINGS = "an auditor or admin is an employee too: their own request or grant is theirs to withdraw"

ROWS = [
    # --- Pages -----------------------------------------------------------------
    Row("access:request-list", "GET", web(LIST)),
    Row("access:request-detail", "GET", web(SEE), kind="request"),
    Row("access:request-approve", "POST", web(DECIDE, done=200), kind="request", body=COMMENT),
    # Confirmation pages: GET shows the form to those who may act, and refuses as POST would.
    Row("access:request-deny", "GET", web(DECIDE), kind="request"),
    Row("access:request-deny", "POST", web(DECIDE, done=200), kind="request", body=COMMENT),
    Row("access:request-cancel", "GET", web(CANCEL), kind="request", note=OWN_THINGS),
    Row("access:request-cancel", "POST", web(CANCEL, done=200), kind="request", note=OWN_THINGS),
    Row("access:request-new", "GET", web(answers(default=(200, 200), anonymous=401, service=200)), kind="asset"),
    Row("access:request-new", "POST", web(ASK_ON_ASSET, done=201), kind="asset", body=NEW_REQUEST),
    Row("access:break-glass", "GET", web(answers(default=(200, 200), anonymous=401, service=200)), kind="asset"),
    Row("access:break-glass", "POST", web(ASK_ON_ASSET, done=201), kind="asset", body=BREAK_GLASS),
    Row("access:review-queue", "GET", web(LIST)),
    Row("access:grant-list", "GET", web(LIST)),
    Row("access:grant-detail", "GET", web(SEE), kind="grant"),
    Row("access:grant-revoke", "GET", web(REVOKE), kind="grant", note=OWN_THINGS),
    Row("access:grant-revoke", "POST", web(REVOKE, done=200), kind="grant", body=REASON, note=OWN_THINGS),
    Row(
        "access:break-glass-review",
        "POST",
        web(REVIEW, done=200),
        kind="break_glass",
        body={"justified": "yes", "comment": "The billing run was down."},
    ),
    # --- API ---------------------------------------------------------------------
    Row("api-access-request-list", "GET", LIST),
    Row("api-access-request-list", "POST", ASK, body=_with_asset(NEW_REQUEST)),
    Row("api-access-request-detail", "GET", SEE, kind="request"),
    Row("api-access-request-approve", "POST", DECIDE, kind="request", body=COMMENT),
    Row("api-access-request-deny", "POST", DECIDE, kind="request", body=COMMENT),
    Row("api-access-request-cancel", "POST", CANCEL, kind="request", note=OWN_THINGS),
    Row("api-grant-list", "GET", LIST),
    Row("api-grant-detail", "GET", SEE, kind="grant"),
    Row("api-grant-revoke", "POST", REVOKE, kind="grant", body=REASON, note=OWN_THINGS),
    Row(
        "api-grant-review",
        "POST",
        REVIEW,
        kind="break_glass",
        body={"justified": True, "comment": "The billing run was down."},
    ),
    Row("api-break-glass-list", "GET", LIST),
    Row("api-break-glass-list", "POST", ASK, body=_with_asset(BREAK_GLASS)),
    Row(
        "api-access-check",
        "POST",
        answers(default=403, anonymous=401, service=200),
        body=_check,
        note="the decision point answers services holding access.check_access only",
    ),
    Row(
        "api-user-revoke-all",
        "POST",
        answers(
            default=(403, 403),
            anonymous=401,
            access_admin=(200, 200),
            privacy_officer=(200, 200),
            service=403,
        ),
        kind="user",
        body=REASON,
        note="refused before the user is looked up, so nobody without the right learns which ids exist",
    ),
]


# --- Recertification campaigns ----------------------------------------------------
# A campaign over the target's asset with one item: the owner's grant, reviewed by the asset's
# reviewer. Access admins, privacy officers and auditors see every campaign and item; a reviewer
# sees the campaigns they have items in and only their own items.


def _campaign(target, *, launch=True):
    from access.tests.factories import make_campaign

    make_grant(target.owner, target.asset)
    return make_campaign(target.world.user("access_admin"), assets=[target.asset], launch=launch)


def _review_item(target):
    return _campaign(target).items.get()


KINDS["campaign"] = _campaign
KINDS["draft_campaign"] = lambda target: _campaign(target, launch=False)
KINDS["review_item"] = _review_item

CAMPAIGN_SEE = answers(
    anonymous=401,
    employee=(404, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(200, 200),
    privacy_officer=(200, 200),
    auditor=(200, 200),
    service=404,
)
# Only the item's reviewer decides; the roles that see everything are refused (auditors never decide).
CAMPAIGN_DECIDE = answers(
    anonymous=401,
    employee=(404, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(403, 403),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=404,
)
CAMPAIGN_MANAGE = answers(
    anonymous=401,
    employee=(404, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(200, 200),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=404,
)
# A draft has no items yet: only the roles that see every campaign see it.
DRAFT_MANAGE = answers(
    anonymous=401,
    employee=(404, 404),
    reviewer=(404, 404),
    other_reviewer=(404, 404),
    access_admin=(200, 200),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=404,
)
EVIDENCE = answers(
    anonymous=401,
    employee=(404, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(200, 200),
    privacy_officer=(200, 200),
    auditor=(200, 200),
    service=404,
)
MAY_CREATE = answers(default=403, anonymous=401, access_admin=201)
NEW_CAMPAIGN = {"name": "Q1 recertification", "due_at": "2099-01-01T10:00", "default_decision": "revoke"}


def _delegate_to(world, item):
    # A second reviewer of the item's asset, to hand it to.
    from portal import permissions

    other = world.user("second_reviewer")
    permissions.assign("portal.review_dataasset", other, item.asset)
    return {"to": other.pk}


def _reassign_to(world, item):
    # A privacy officer who is never the grantee.
    from portal.models import PRIVACY_OFFICERS
    from portal.tests.factories import UserFactory

    return {"to": UserFactory(username="polly", groups=[PRIVACY_OFFICERS]).pk}


ROWS += [
    Row("access:campaign-list", "GET", web(LIST)),
    Row("access:campaign-new", "GET", web(answers(default=403, anonymous=401, access_admin=200))),
    Row("access:campaign-new", "POST", web(MAY_CREATE, done=201), body=NEW_CAMPAIGN),
    Row("access:campaign-detail", "GET", web(CAMPAIGN_SEE), kind="campaign"),
    Row("access:campaign-summary", "GET", web(CAMPAIGN_SEE), kind="campaign"),
    Row("access:campaign-queue", "GET", web(CAMPAIGN_SEE), kind="campaign"),
    Row("access:campaign-launch", "POST", web(DRAFT_MANAGE, done=200), kind="draft_campaign"),
    Row("access:campaign-close", "GET", web(CAMPAIGN_MANAGE), kind="campaign", note="the confirmation page"),
    Row("access:campaign-close", "POST", web(CAMPAIGN_MANAGE, done=200), kind="campaign"),
    Row(
        "access:campaign-decide",
        "POST",
        web(CAMPAIGN_DECIDE, done=200),
        kind="campaign",
        body={"decision": "revoke", "apply_to": "matching"},
    ),
    Row("access:review-item", "GET", web(CAMPAIGN_SEE), kind="review_item"),
    Row(
        "access:review-item-decide",
        "POST",
        web(CAMPAIGN_DECIDE, done=200),
        kind="review_item",
        body={"decision": "revoke"},
    ),
    Row("access:review-item-delegate", "POST", web(CAMPAIGN_DECIDE, done=200), kind="review_item", body=_delegate_to),
    Row("access:review-item-reassign", "POST", web(CAMPAIGN_MANAGE, done=200), kind="review_item", body=_reassign_to),
    Row("api-campaign-list", "GET", LIST),
    Row("api-campaign-list", "POST", MAY_CREATE, body=NEW_CAMPAIGN),
    Row("api-campaign-detail", "GET", CAMPAIGN_SEE, kind="campaign"),
    Row("api-campaign-item-list", "GET", CAMPAIGN_SEE, kind="campaign"),
    Row("api-campaign-launch", "POST", DRAFT_MANAGE, kind="draft_campaign"),
    Row("api-campaign-close", "POST", CAMPAIGN_MANAGE, kind="campaign"),
    Row("api-campaign-decide", "POST", CAMPAIGN_DECIDE, kind="campaign", body={"match": {}, "decision": "revoke"}),
    Row("api-campaign-evidence", "GET", EVIDENCE, kind="campaign", note="auditors export; reviewers only decide"),
    Row("api-review-item-detail", "GET", CAMPAIGN_SEE, kind="review_item"),
    Row("api-review-item-decide", "POST", CAMPAIGN_DECIDE, kind="review_item", body={"decision": "revoke"}),
    Row("api-review-item-delegate", "POST", CAMPAIGN_DECIDE, kind="review_item", body=_delegate_to),
    Row("api-review-item-reassign", "POST", CAMPAIGN_MANAGE, kind="review_item", body=_reassign_to),
]
