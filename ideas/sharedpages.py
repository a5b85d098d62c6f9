"""What of a reader's own an idea or a campaign page shows, for the pages that
signed-in residents share (accounts.sharedpages): their support, vote or follow
of the idea, their "me too" on its report, their votes on a page of cards, and
ideas of theirs waiting or hidden in the campaign or a follow of it."""

from typing import Any

from accounts.sharedpages import Clauses, rows
from moderation.models import Visibility

from .models import Follow, Idea, MeToo, Support, Vote


def reader_check(user: Any, noted: dict[str, Any]) -> Clauses:
    found: Clauses = {}
    me = user.pk
    if idea := noted.get("idea"):
        found["differs_support"] = rows(Support, user_id=me, idea_id=idea)
        found["differs_vote"] = rows(Vote, user_id=me, idea_id=idea)
        found["differs_follow"] = rows(Follow, user_id=me, idea_id=idea)
    if report := noted.get("report"):
        found["differs_me_too"] = rows(MeToo, user_id=me, report_id=report)
    if campaign := noted.get("campaign"):
        found["differs_own_ideas"] = rows(
            Idea,
            campaign_id=campaign,
            author_id=me,
            where="visibility <> %s",
            params=[Visibility.PUBLISHED.value],
        )
        found["differs_follows_campaign"] = rows(
            Follow, user_id=me, campaign_id=campaign
        )
    if cards := noted.get("voted_cards"):
        found["differs_card_votes"] = rows(Vote, user_id=me, idea_id=cards)
    return found
