import pytest
from django.contrib.auth.models import Group

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
    model = permissions.object_permission_model(DataAsset)
    perm_obj = permissions.permission(perm)
    model.objects.bulk_create(model(user=user, permission=perm_obj, content_object=a) for a in assets)


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

    assert permissions.get_visible(employee, REVIEW, DataAsset.objects.all(), pk=mine.pk) == mine
    with pytest.raises(NotFound) as invisible:
        permissions.get_visible(employee, REVIEW, DataAsset.objects.all(), pk=hidden.pk)
    with pytest.raises(NotFound) as missing:
        permissions.get_visible(employee, REVIEW, DataAsset.objects.all(), pk=hidden.pk + 1000)
    # Nothing in the error tells an existing object from a missing one.
    assert (invisible.value.status, invisible.value.message) == (404, "Not found.")
    assert (missing.value.status, missing.value.message) == (404, "Not found.")


@pytest.mark.django_db
def test_has_is_false_for_a_user_who_is_not_signed_in():
    from django.contrib.auth.models import AnonymousUser

    [asset] = _assets(1)
    assert not permissions.has(AnonymousUser(), REVIEW, asset)
    assert not permissions.has(None, REVIEW, asset)
    assert not permissions.has(UserFactory(username="nina"), REVIEW, asset)
