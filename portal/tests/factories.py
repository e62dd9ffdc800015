import factory
from django.contrib.auth.models import Group

from portal import permissions
from portal.models import DEFAULT_MAX_GRANT_DAYS, DataAsset, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


class DataAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataAsset
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Asset {n}")
    description = "Holds customer data."
    sensitivity = "internal"
    holds_personal_data = True
    data_categories = factory.LazyFunction(lambda: ["contact details"])
    max_grant_days = factory.LazyAttribute(lambda a: DEFAULT_MAX_GRANT_DAYS[a.sensitivity])

    @factory.post_generation
    def reviewers(self, create, extracted, **kwargs):
        for user in extracted or []:
            permissions.assign("portal.review_dataasset", user, self)
