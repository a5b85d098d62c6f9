"""Reading: the campaign page (sorts, filters, search, map, answer record), the idea
page, and the similar-ideas lookup, with a fixed number of queries whatever the size."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from forums.actions import do_reply
from ideas import actions
from ideas.models import Idea, IdeaState
from tests.factories import PlannerFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


def many_ideas(campaign, n, **fields):
    authors = [UserFactory() for _ in range(3)]
    now = timezone.now()
    ideas = Idea.objects.bulk_create(
        [
            Idea(
                campaign=campaign,
                author=authors[i % 3],
                title=f"Idea {i:03d} about {'trees' if i % 2 else 'buses'}",
                description=f"Description {i}",
                support_count=i % 7,
                comment_count=(i * 5) % 11,
                created_at=now - timedelta(minutes=i),
                **fields,
            )
            for i in range(n)
        ]
    )
    return ideas


def titles(html: str) -> list[str]:
    return re.findall(r'class="idea-card__title"><a href="[^"]+">([^<]+)</a>', html)


def test_sorts_and_pagination(client, campaign):
    many_ideas(campaign, 45)
    newest = titles(client.get(campaign.url + "?sort=new").content.decode())
    assert newest[0] == "Idea 000 about buses" and len(newest) == 20
    by_title = {i.title: i.support_count for i in Idea.objects.all()}
    supported = titles(client.get(campaign.url + "?sort=supported").content.decode())
    counts = [by_title[t] for t in supported]
    assert counts == sorted(counts, reverse=True) and counts[0] == 6
    discussed = titles(client.get(campaign.url + "?sort=discussed").content.decode())
    top = Idea.objects.get(title=discussed[0])
    assert top.comment_count == 10


def test_random_order_is_stable_per_visitor_and_pages_do_not_overlap(client, campaign):
    many_ideas(campaign, 45)
    first = client.get(campaign.url).content.decode()
    assert titles(first) == titles(client.get(campaign.url).content.decode())
    seed = re.search(r"seed=(\d+)", first).group(1)
    pages = [
        titles(
            client.get(
                f"{campaign.url}?sort=random&seed={seed}&page={n}"
            ).content.decode()
        )
        for n in (1, 2, 3)
    ]
    seen = [t for page in pages for t in page]
    assert len(seen) == 45 == len(set(seen))
    newest = [i.title for i in Idea.objects.order_by("-created_at")]
    assert seen != newest
    other = titles(
        client.get(f"{campaign.url}?sort=random&seed={int(seed) + 1}").content.decode()
    )
    assert other != pages[0]


def test_filters_by_category_state_tag_and_search(client, campaign, resident):
    parks = campaign.categories.get(name="Parks")
    a = actions.do_propose_idea(
        resident,
        campaign,
        title="Wildflowers on the verges",
        description="For bees.",
        categories=[parks],
        tags=["bees"],
    )
    b = actions.do_propose_idea(
        UserFactory(), campaign, title="Night buses on weekends", description="Hourly."
    )
    actions.do_change_status(PlannerFactory(), b, IdeaState.ACCEPTED, "Yes")
    assert titles(client.get(campaign.url + "?category=parks").content.decode()) == [
        a.title
    ]
    assert titles(client.get(campaign.url + "?state=accepted").content.decode()) == [
        b.title
    ]
    assert titles(client.get(campaign.url + "?tag=bees").content.decode()) == [a.title]
    assert titles(client.get(campaign.url + "?q=buses").content.decode()) == [b.title]
    assert (
        "No idea matches" in client.get(campaign.url + "?q=zeppelin").content.decode()
    )


def test_campaign_page_queries_do_not_grow_with_ideas(
    client, campaign, django_assert_max_num_queries
):
    many_ideas(campaign, 30, lat=50.0, lon=4.0)
    client.get(campaign.url)  # warm the session seed and the site cache
    with django_assert_max_num_queries(20):
        small = client.get(campaign.url + "?sort=supported&category=parks")
    many_ideas(campaign, 300, lat=50.1, lon=4.1)
    with django_assert_max_num_queries(20):
        big = client.get(campaign.url)
    with django_assert_max_num_queries(20):
        client.get(campaign.url + "?sort=new&page=3")
    assert small.status_code == big.status_code == 200
    assert 'id="idea-map-points"' in big.content.decode()


def test_the_map_is_an_addition_the_list_works_without(client, campaign):
    many_ideas(campaign, 3, lat=50.0, lon=4.0)
    page = client.get(campaign.url).content.decode()
    assert "vendor/leaflet/leaflet.js" in page and "data-idea-map" in page
    assert len(titles(page)) == 3
    csp = client.get(campaign.url)["Content-Security-Policy"]
    assert "https://tile.openstreetmap.org" in csp and "'unsafe-inline'" not in csp


def test_answer_record_counts_answers_median_time_and_overdue(client, campaign):
    ideas = many_ideas(campaign, 3)
    now = timezone.now()
    Idea.objects.filter(pk=ideas[0].pk).update(
        state="accepted",
        review_started_at=now - timedelta(days=6),
        answered_at=now - timedelta(days=2),
    )
    Idea.objects.filter(pk=ideas[1].pk).update(
        state="under_review", review_started_at=now - timedelta(days=20)
    )
    page = client.get(campaign.url).content.decode()
    assert re.search(r"Ideas answered</dt><dd>1<", page)
    assert "4.0 days" in page
    assert "1 idea is past the deadline" in page and ideas[1].title in page


def test_idea_page_with_many_comments_has_fixed_queries(
    client, campaign, django_assert_max_num_queries
):
    idea = actions.do_propose_idea(
        UserFactory(), campaign, title="Shade in the square", description="Trees."
    )
    idea.refresh_from_db()
    people = [UserFactory() for _ in range(4)]
    for n in range(25):
        do_reply(people[n % 4], idea.thread, f"Comment number {n} on shade")
        from django.core.cache import cache

        cache.clear()  # forums' posting rate limit is per person and minute
    viewer = UserFactory()
    client.force_login(viewer)
    client.get(idea.get_absolute_url())
    with django_assert_max_num_queries(30):
        response = client.get(idea.get_absolute_url())
    assert "Comment number 0 on shade" in response.content.decode()
    idea.refresh_from_db()
    assert idea.comment_count == 25


def test_similar_ideas_while_typing_and_on_the_no_js_preview(
    client, campaign, resident
):
    actions.do_propose_idea(
        UserFactory(),
        campaign,
        title="More trees on Station Street",
        description="Plant trees along Station Street for shade.",
    )
    actions.do_propose_idea(
        UserFactory(),
        campaign,
        title="Night buses at weekends",
        description="Hourly buses.",
    )
    data = client.get(
        f"/ideas/campaign/{campaign.pk}/similar/",
        {"title": "Trees for Station Street", "description": "shade trees"},
    ).json()
    assert [r["title"] for r in data["results"]] == ["More trees on Station Street"]
    client.force_login(resident)
    preview = client.post(
        f"/ideas/campaign/{campaign.pk}/propose/",
        {
            "title": "Trees for Station Street",
            "description": "We need shade trees.",
            "preview": "1",
        },
    ).content.decode()
    assert "Has someone proposed this already?" in preview
    assert "More trees on Station Street" in preview
    assert 'value="Trees for Station Street"' in preview
    assert not Idea.objects.filter(title="Trees for Station Street").exists()


def test_the_similar_index_follows_new_ideas(
    campaign, django_capture_on_commit_callbacks
):
    from ideas import similar

    with django_capture_on_commit_callbacks(execute=True):
        actions.do_propose_idea(
            UserFactory(),
            campaign,
            title="A swimming pool",
            description="Outdoor pool.",
        )
    assert similar.similar_idea_ids(campaign.pk, "swimming pool outdoor")
    with django_capture_on_commit_callbacks(execute=True):
        idea = actions.do_propose_idea(
            UserFactory(),
            campaign,
            title="Skate park by the river",
            description="Ramps.",
        )
    hits = similar.similar_idea_ids(campaign.pk, "skate park ramps river")
    assert hits and hits[0][0] == idea.pk


def test_home_page_lists_open_campaigns(client, campaign):
    make_campaign(title="Old campaign", phases=[("closed", -30, -1)], featured=False)
    page = client.get("/").content.decode()
    assert campaign.title in page and "Collecting ideas" in page
    assert "Old campaign" not in page


def test_header_links_to_the_campaign_index(client):
    from home.demo import seed_home
    from ideas.demo import seed as seed_ideas

    home, _ = seed_home()
    seed_ideas(home)
    response = client.get("/ideas/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert 'href="/ideas/"' in client.get("/").content.decode()
