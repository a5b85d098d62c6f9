"""The city's front page: the root of the page tree that campaigns and forums hang from."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The front page. Created by `seed_demo`; one per site.

    Later apps add what the page lists (featured campaigns, forums, live
    activity) through get_context, so this model stays the only page here.
    """

    tagline = models.CharField(
        _("tagline"),
        max_length=200,
        blank=True,
        help_text=_("One sentence under the city's name, e.g. 'Shape Bowling Green'."),
    )
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link", "ol", "ul", "h2", "h3"],
    )

    content_panels = [*Page.content_panels, FieldPanel("tagline"), FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    max_count_per_parent = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The page most residents share (accounts.sharedpages).
        from accounts import sharedpages

        return sharedpages.serve(
            request, lambda: super(HomePage, self).serve(request, *args, **kwargs)
        )

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from accounts import sharedpages
        from forums.queries import with_unread_threads
        from live import versions

        context = super().get_context(request, *args, **kwargs)
        # What every visitor sees alike is built once per version (every change
        # moves it: live.versions) and read back from the cache: ten queries,
        # five of them Wagtail's privacy look-ups, that signed-in residents would
        # otherwise pay on each visit (anonymous ones get the whole page cached).
        shared = versions.kept(f"home:{self.pk}", self.shared_context)
        context.update(shared)
        context["forums"] = with_unread_threads(shared["forums"], request.user)
        if sharedpages.is_shared_render(request):
            # Each reader's own count goes where the mark is (forums.sharedpages).
            for forum in context["forums"]:
                forum.unread_mark = sharedpages.mark(f"unread-forum-{forum.pk}")
            sharedpages.note(request, unread_forums=[f.pk for f in shared["forums"]])
        return context

    def shared_context(self) -> dict[str, Any]:
        """The campaigns, forums, polls and budgets the front page lists."""
        from budgets.models import BudgetPage
        from forums.models import ForumIndexPage, ForumPage
        from forums.queries import forum_totals
        from ideas.models import CampaignPage, campaign_cards
        from polls.ballots import box_state
        from polls.models import PollPage

        # Phases and images are prefetched: no query per campaign card.
        campaigns = campaign_cards(
            CampaignPage.objects.live()
            .public()
            .filter(featured=True)
            .order_by("-first_published_at")[:6]
        )
        forums = forum_totals(ForumPage.objects.live().public().descendant_of(self))[:6]
        # Decide: the polls and budgets a resident can take part in, newest first;
        # two queries (each poll's ballot box comes with it).
        polls = list(
            PollPage.objects.live()
            .public()
            .descendant_of(self)
            .select_related("box")
            .order_by("-first_published_at")[:6]
        )
        for poll in polls:
            poll.state = box_state(poll.box) if poll.box_id else "not_open"
        return {
            "campaigns": list(campaigns),
            "forums": forums,
            "forum_index": ForumIndexPage.objects.live()
            .public()
            .descendant_of(self)
            .first(),
            "polls": polls,
            "budgets": list(
                BudgetPage.objects.live()
                .public()
                .descendant_of(self)
                .order_by("-first_published_at")[:6]
            ),
        }


# The brand setting lives in its own module; importing it here registers the model.
from .brand import BrandSettings  # noqa: E402, F401
