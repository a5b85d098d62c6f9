"""factory_boy factories shared by every test module."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import Notification, User
from accounts.roles import Role

TEST_PASSWORD = "a-long-test-password-7"  # noqa: S105


def _add_roles(user: User, create: bool, roles: list[Role] | None) -> None:
    if create and roles:
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])


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
        _add_roles(self, create, extracted)


def _staff_factory(role: Role) -> type[UserFactory]:
    # A plain `roles = [...]` class attribute would replace the post-generation hook
    # with a model field (User() got unexpected keyword 'roles'); pass it as the
    # hook's default instead.
    class StaffFactory(UserFactory):
        roles = factory.PostGeneration(
            lambda user, create, extracted, **kw: _add_roles(
                user, create, extracted or [role]
            )
        )

    StaffFactory.__name__ = f"{role.name.title().replace('_', '')}Factory"
    return StaffFactory


ModeratorFactory = _staff_factory(Role.MODERATOR)
PlannerFactory = _staff_factory(Role.PLANNER)
CityAdminFactory = _staff_factory(Role.CITY_ADMIN)


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

    forum = factory.Sequence(lambda n: make_forum(f"Factory forum {n}"))
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "forums.Post"

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Post number {n}")
    body_html = factory.LazyAttribute(lambda o: f"<p>{o.body}</p>")


# --- Idea campaigns -----------------------------------------------------------


def make_campaign(
    *,
    phases: list[tuple[str, int, int]] | None = None,
    categories: list[str] | None = None,
    parent=None,
    **fields,
):
    """A live CampaignPage under a campaign index; phases are (kind, start_days,
    end_days) relative to now, default: collecting ideas from yesterday for a month."""
    from datetime import timedelta

    from django.utils import timezone

    from home.demo import seed_home
    from ideas.models import CampaignIndexPage, CampaignPage, Phase

    if parent is None:
        parent = CampaignIndexPage.objects.first()
        if parent is None:
            home, _created = seed_home()
            parent = home.add_child(
                instance=CampaignIndexPage(title="Campaigns", slug="campaigns")
            )
    n = CampaignPage.objects.count() + 1
    fields.setdefault("title", f"Campaign {n}")
    fields.setdefault("slug", f"campaign-{n}")
    fields.setdefault("question", "What should the city do?")
    campaign = parent.add_child(instance=CampaignPage(**fields))
    now = timezone.now()
    for i, (kind, start, end) in enumerate(phases or [("collecting", -1, 30)]):
        Phase.objects.create(
            campaign=campaign,
            kind=kind,
            start=now + timedelta(days=start),
            end=now + timedelta(days=end),
            sort_order=i,
        )
    if categories:
        campaign.categories.add(*categories)
        campaign.save()
    return CampaignPage.objects.get(pk=campaign.pk)


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ideas.Idea"

    campaign = factory.LazyFunction(make_campaign)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Idea number {n} for the city")
    description = factory.Sequence(
        lambda n: f"A longer description of idea {n}, saying what and why."
    )


# --- moderation ---------------------------------------------------------------


class SanctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "moderation.Sanction"

    user = factory.SubFactory(UserFactory)
    kind = "suspension"
    reason = "Repeated insults in the Town square forum."


# --- Insights -----------------------------------------------------------------


class InsightReportFactory(factory.django.DjangoModelFactory):
    """A finished report with no clusters; tests that need real results run the task."""

    class Meta:
        model = "insights.InsightReport"

    campaign = factory.LazyFunction(make_campaign)
    parameters = factory.LazyFunction(lambda: {"k": "auto", "seed": 0, "filters": {}})
    status = "succeeded"
    progress = 100


# --- polls --------------------------------------------------------------------


def make_poll(
    *,
    questions: list[tuple[str, str, list[str], int | None]] | None = None,
    weights: dict[str, float] | None = None,
    parent=None,
    open_now: bool = True,
    **fields,
):
    """A live PollPage under the home page. `questions` are (text, kind, options,
    max_choices); default one single-choice question with options A, B, C. Open from
    an hour ago for a day unless `open_now` is False or times are given."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from home.demo import seed_home
    from polls.models import PollPage, PollQuestion, StakeholderWeight

    if parent is None:
        parent, _created = seed_home()
    n = PollPage.objects.count() + 1
    fields.setdefault("title", f"Poll {n}")
    fields.setdefault("slug", f"poll-{n}")
    if open_now and "opens_at" not in fields:
        fields["opens_at"] = timezone.now() - timedelta(hours=1)
        fields.setdefault("closes_at", timezone.now() + timedelta(days=1))
    poll = PollPage(**fields)
    for i, (text, kind, options, max_choices) in enumerate(
        questions or [("Which one?", "single", ["A", "B", "C"], None)]
    ):
        poll.questions.add(
            PollQuestion(
                text=text,
                kind=kind,
                options_text="\n".join(options),
                max_choices=max_choices,
                sort_order=i,
            )
        )
    for group, share in (weights or {}).items():
        poll.weights.add(StakeholderWeight(group=group, share=Decimal(str(share))))
    parent.add_child(instance=poll)
    return PollPage.objects.get(pk=poll.pk)


def verify(user, **attrs):
    """Verify `user` at a desk (by a city administrator made for the purpose)."""
    from accounts.actions import do_verify_at_desk

    return do_verify_at_desk(CityAdminFactory(), user, note="seen in a test", **attrs)


def make_budget(*, parent=None, districts=None, projects=None, **fields):
    """A live BudgetPage under the home page. `districts` are (name, amount) pairs;
    `projects` are (title, cost) pairs or (title, cost, district name) triples,
    made feasible at that cost."""
    from budgets.models import BudgetPage, District, Feasibility, Project
    from home.demo import seed_home

    if parent is None:
        parent, _created = seed_home()
    n = BudgetPage.objects.count() + 1
    fields.setdefault("title", f"Budget {n}")
    fields.setdefault("slug", f"budget-{n}")
    fields.setdefault("total", 100_000)
    fields.setdefault("currency", "EUR")
    fields.setdefault("verified_only", False)
    budget = parent.add_child(instance=BudgetPage(**fields))
    by_name = {}
    for i, (name, amount) in enumerate(districts or []):
        by_name[name] = District.objects.create(
            budget=budget, name=name, amount=amount, sort_order=i
        )
    for i, spec in enumerate(projects or [], start=1):
        title, cost = spec[0], spec[1]
        Project.objects.create(
            budget=budget,
            title=title,
            cost=cost,
            feasibility=Feasibility.FEASIBLE,
            external_id=str(i),
            district=by_name.get(spec[2]) if len(spec) > 2 else None,
        )
    return BudgetPage.objects.get(pk=budget.pk)


def view_draft(client, page):
    """A city admin's "view draft" of a page after a draft change to its title."""
    page.title = page.title + " (draft)"
    page.save_revision()
    client.force_login(CityAdminFactory())
    return client.get(f"/admin/pages/{page.pk}/view_draft/")


# Forum posting intervals off, for stories that post several times a second.
NO_FORUM_RATE_LIMITS = {
    "interval_seconds": 0,
    "new_account_interval_seconds": 0,
    "new_account_hours": 24,
}


# Tasks queued with the database backend (TASKS = DATABASE_TASKS in a test's
# settings) stay queued until the test runs them, as a worker process would.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_database_tasks(task_path: str) -> int:
    """Run the queued tasks of one path through django-tasks-db's own worker step
    (its loop would close the test's connection between tasks); each must
    succeed. Returns how many ran."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    queued = list(DBTaskResult.objects.ready().filter(task_path=task_path))
    for result in queued:
        worker.run_task(result)
        result.refresh_from_db()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.exception_class_path
    return len(queued)
