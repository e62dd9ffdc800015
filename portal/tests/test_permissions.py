import pytest
from django.contrib.auth.models import Group, Permission

from portal import permissions
from portal.errors import Forbidden, NotFound
from portal.models import DataAsset
from portal.tests.factories import DataAssetFactory, UserFactory

# A right held through guardian rows (use_dataasset and its kin are carried by access grants: see below).
REVIEW = "portal.review_dataasset"
USE = "portal.use_dataasset"


def _assets(n):
    return DataAsset.objects.bulk_create(DataAssetFactory.build_batch(n))


def _grant_many(perm, user, assets):
    """Set-based, as the grant jobs do it: one INSERT for many object permissions."""
    permissions.assign_many(DataAsset, [(user.pk, a.pk, perm) for a in assets])


@pytest.mark.django_db
def test_visible_keeps_only_the_objects_the_user_holds_the_permission_on(employee, outsider):
    used, exported, _other = _assets(3)
    permissions.assign(REVIEW, employee, used)
    permissions.assign("portal.view_dataasset", employee, exported)

    assert list(permissions.visible(employee, REVIEW, DataAsset.objects.all())) == [used]
    assert list(permissions.visible(outsider, REVIEW, DataAsset.objects.all())) == []
    # Any of several permissions, or all of them.
    either = permissions.visible(employee, [REVIEW, "portal.view_dataasset"], DataAsset.objects.all())
    assert set(either) == {used, exported}
    both = permissions.visible(employee, [REVIEW, "portal.view_dataasset"], DataAsset.objects.all(), any_perm=False)
    assert list(both) == []


@pytest.mark.django_db
def test_visible_narrows_the_queryset_it_is_given(employee):
    a, b = _assets(2)
    permissions.assign(REVIEW, employee, a)
    permissions.assign(REVIEW, employee, b)
    assert list(permissions.visible(employee, REVIEW, DataAsset.objects.filter(pk=b.pk))) == [b]


@pytest.mark.django_db
def test_a_permission_held_through_a_group_on_one_object_counts(employee, outsider):
    team, other = _assets(2)
    group = Group.objects.create(name="customer-service")
    employee.groups.add(group)
    permissions.assign(REVIEW, group, team)
    assert list(permissions.visible(employee, REVIEW, DataAsset.objects.all())) == [team]
    assert permissions.has(employee, REVIEW, team)
    assert not permissions.has(employee, REVIEW, other)
    assert not permissions.has(outsider, REVIEW, team)


@pytest.mark.django_db
def test_inactive_and_anonymous_users_see_nothing_even_with_permissions(employee):
    from django.contrib.auth.models import AnonymousUser

    [asset] = _assets(1)
    permissions.assign(REVIEW, employee, asset)
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    assert list(permissions.visible(employee, REVIEW, DataAsset.objects.all())) == []
    assert list(permissions.visible(AnonymousUser(), REVIEW, DataAsset.objects.all())) == []
    with pytest.raises(Forbidden):
        permissions.require(employee, REVIEW, asset)


@pytest.mark.parametrize("n", [10, 1000])
@pytest.mark.django_db
def test_visible_uses_the_same_queries_at_any_size(employee, outsider, n, django_assert_num_queries):
    assets = _assets(2 * n)
    _grant_many(REVIEW, employee, assets[::2])
    # Guardian caches the permission's content type for the life of the process; warm it as a server would be.
    list(permissions.visible(outsider, REVIEW, DataAsset.objects.none()))
    # user's global permissions, user's group permissions (both for the role check),
    # the objects filtered through the user and group permission tables in one statement
    with django_assert_num_queries(3):
        seen = list(permissions.visible(employee, REVIEW, DataAsset.objects.all()))
    assert len(seen) == n
    assert {a.pk for a in seen} == {a.pk for a in assets[::2]}


@pytest.mark.django_db
def test_a_role_with_the_global_permission_sees_every_object(access_admin, employee):
    assets = _assets(5)
    permissions.assign("portal.change_dataasset", employee, assets[0])

    assert permissions.visible(access_admin, "portal.change_dataasset", DataAsset.objects.all()).count() == 5
    assert list(permissions.visible(employee, "portal.change_dataasset", DataAsset.objects.all())) == [assets[0]]
    # The role is not a key to everything: access admins neither use (read) nor administer the data.
    assert permissions.visible(access_admin, USE, DataAsset.objects.all()).count() == 0
    assert permissions.visible(access_admin, "portal.admin_dataasset", DataAsset.objects.all()).count() == 0


@pytest.mark.django_db
def test_require_refuses_without_the_permission_and_allows_with_it(employee, access_admin, outsider):
    asset, other = _assets(2)
    permissions.assign("portal.change_dataasset", employee, asset)

    permissions.require(employee, "portal.change_dataasset", asset)
    permissions.require(access_admin, "portal.change_dataasset", other)  # through the role
    with pytest.raises(Forbidden) as refused:
        permissions.require(employee, "portal.change_dataasset", other)
    assert refused.value.status == 403
    with pytest.raises(Forbidden, match=r"^You do not administer this asset\.$"):
        permissions.require(outsider, "portal.change_dataasset", asset, "You do not administer this asset.")


@pytest.mark.django_db
def test_get_visible_answers_not_found_for_missing_and_invisible_alike(employee):
    mine, hidden = _assets(2)
    permissions.assign(REVIEW, employee, mine)

    assert permissions.get_visible(DataAsset.objects.all(), mine.pk, user=employee, perm=REVIEW) == mine
    with pytest.raises(NotFound) as invisible:
        permissions.get_visible(DataAsset.objects.all(), hidden.pk, user=employee, perm=REVIEW)
    with pytest.raises(NotFound) as missing:
        permissions.get_visible(DataAsset.objects.all(), hidden.pk + 1000, user=employee, perm=REVIEW)
    # Nothing in the error tells an existing object from a missing one.
    assert (invisible.value.status, invisible.value.message) == (404, "Not found.")
    assert (missing.value.status, missing.value.message) == (404, "Not found.")


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["abc", "", "1.5", "-1", "²", str(2**63), None])
def test_get_visible_answers_not_found_for_what_cannot_be_an_id(pk, django_assert_num_queries):
    _assets(1)
    # Refused before any query: a malformed id must not reach the database (SQLite overflows on 2**63).
    with django_assert_num_queries(0), pytest.raises(NotFound):
        permissions.get_visible(DataAsset.objects.all(), pk)


@pytest.mark.django_db
def test_has_is_false_for_a_user_who_is_not_signed_in():
    from django.contrib.auth.models import AnonymousUser

    [asset] = _assets(1)
    assert not permissions.has(AnonymousUser(), USE, asset)
    assert not permissions.has(None, USE, asset)
    assert not permissions.has(UserFactory(username="nina"), USE, asset)


# --- The permission name, ids and set-based helpers ---------------------------------------


def test_split_is_the_one_parser_of_a_permission_name():
    assert permissions.split("portal.use_dataasset") == ("portal", "use_dataasset")
    assert permissions.codename("access.view_grant") == "view_grant"
    for bad in ("use_dataasset", ".use", "portal."):
        with pytest.raises(ValueError, match=r"app_label\.codename"):
            permissions.split(bad)


@pytest.mark.django_db
def test_permission_ids_answers_every_name_in_one_query(django_assert_num_queries):
    names = [USE, "portal.review_dataasset", "access.view_grant"]
    with django_assert_num_queries(1):
        ids = permissions.permission_ids(names)
    assert ids == {name: permissions.permission(name).pk for name in names}
    with pytest.raises(Permission.DoesNotExist, match=r"portal\.fly_dataasset"):
        permissions.permission_ids([USE, "portal.fly_dataasset"])


def _held(user):
    # The guardian rows themselves: use_dataasset is answered from access grants, not from these rows.
    return {DataAsset.objects.get(pk=o) for u, o, _ in permissions.held_rows(DataAsset, [USE]) if u == user.pk}


@pytest.mark.django_db
def test_assign_many_and_remove_many_change_many_rights_in_one_statement_each(
    employee, outsider, django_assert_num_queries
):
    assets = _assets(4)
    rows = [(u.pk, a.pk, USE) for u in (employee, outsider) for a in assets]
    permissions.object_permission_model(DataAsset)  # warm guardian's process-wide content-type cache

    # permission ids, INSERT
    with django_assert_num_queries(2):
        permissions.assign_many(DataAsset, rows)
    assert _held(employee) == _held(outsider) == set(assets)
    # Already held: kept, not duplicated, no error.
    permissions.assign_many(DataAsset, rows[:2])
    assert permissions.object_permission_model(DataAsset).objects.count() == 8

    # permission ids, DELETE (one statement, whatever the number of rows)
    with django_assert_num_queries(2):
        removed = permissions.remove_many(DataAsset, [(employee.pk, a.pk, USE) for a in assets[:3]])
    assert removed == 3
    assert _held(employee) == {assets[3]}
    assert _held(outsider) == set(assets)


@pytest.mark.django_db
def test_remove_carried_deletes_the_rights_named_by_a_queryset_in_one_statement(
    employee, outsider, django_assert_num_queries
):
    from django.contrib.auth import get_user_model
    from django.db.models import Value

    a, b = _assets(2)
    permissions.assign_many(DataAsset, [(employee.pk, a.pk, USE), (employee.pk, b.pk, USE), (outsider.pk, a.pk, USE)])
    use_id = permissions.permission(USE).pk
    # Any table can name the rights to drop; here: users, with the asset and permission as annotations.
    source = get_user_model().objects.filter(pk=employee.pk).annotate(asset=Value(a.pk), perm=Value(use_id))

    with django_assert_num_queries(1):
        removed = permissions.remove_carried(DataAsset, source, user="pk", obj="asset", permission_id="perm")

    assert removed == 1
    assert _held(employee) == {b}
    assert _held(outsider) == {a}


@pytest.mark.django_db
@pytest.mark.parametrize("n", [10, 100])
def test_prefetch_holders_loads_every_objects_holders_in_one_query(employee, outsider, n, django_assert_num_queries):
    assets = _assets(n)
    permissions.assign_many(DataAsset, [(employee.pk, x.pk, "portal.review_dataasset") for x in assets])
    permissions.assign_many(DataAsset, [(outsider.pk, assets[0].pk, "portal.review_dataasset")])
    permissions.assign_many(DataAsset, [(outsider.pk, x.pk, USE) for x in assets])  # another right: not a holder

    # assets, holders with their users
    with django_assert_num_queries(2):
        loaded = list(
            permissions.prefetch_holders(DataAsset.objects.order_by("pk"), "portal.review_dataasset", to_attr="rev")
        )
        held = [{row.user.username for row in x.rev} for x in loaded]
    assert held[0] == {employee.username, outsider.username}
    assert held[1:] == [{employee.username}] * (n - 1)


@pytest.mark.django_db
def test_held_rows_lists_every_direct_right_of_the_named_kinds(employee, outsider):
    a, b = _assets(2)
    permissions.assign_many(DataAsset, [(employee.pk, a.pk, USE), (outsider.pk, b.pk, "portal.review_dataasset")])
    assert set(permissions.held_rows(DataAsset, [USE])) == {(employee.pk, a.pk, USE)}
