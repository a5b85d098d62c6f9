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


# --- forums ---------------------------------------------------------------


def make_forum(title: str = "Town square", **fields: object):
    """A live ForumPage under a ForumIndexPage under the home page (made if missing)."""
    from forums.models import ForumIndexPage, ForumPage
    from home.demo import seed_home

    home, _created = seed_home()
    index = ForumIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(instance=ForumIndexPage(title="Forums", slug="forums"))
    forum = ForumPage(title=title, slug=title.lower().replace(" ", "-"), **fields)
    index.add_child(instance=forum)
    return ForumPage.objects.get(pk=forum.pk)


class ThreadFactory(factory.django.DjangoModelFactory):
    """A forum thread row only (no opening post); use forums.actions for the real path."""

    class Meta:
        model = "forums.Thread"

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "forums.Post"

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Post number {n}")
    body_html = factory.LazyAttribute(lambda o: f"<p>{o.body}</p>")
