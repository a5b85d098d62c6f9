"""factory_boy factories shared by every test module."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import Notification, User
from accounts.roles import Role

TEST_PASSWORD = "a-long-test-password-7"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    """A resident whose e-mail address is verified, so they can log in at once."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Resident {n}")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(
                user=self, email=self.email, verified=True, primary=True
            )

    @factory.post_generation
    def roles(
        self, create: bool, extracted: list[Role] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get_or_create(name=role.value)[0])


class ModeratorFactory(UserFactory):
    roles = [Role.MODERATOR]  # type: ignore[assignment]


class PlannerFactory(UserFactory):
    roles = [Role.PLANNER]  # type: ignore[assignment]


class CityAdminFactory(UserFactory):
    roles = [Role.CITY_ADMIN]  # type: ignore[assignment]


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "test"
    text = factory.Sequence(lambda n: f"Something happened ({n})")
    url = "/"
