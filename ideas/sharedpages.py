"""What of a reader's own an idea or a campaign page shows, for the pages that
signed-in residents share (accounts.sharedpages): their support, vote or follow
of the idea, their "me too" on its report, their votes on a page of cards, and
ideas of theirs waiting or hidden in the campaign or a follow of it."""

from typing import Any

from accounts.sharedpages import Clauses, marks, table
from moderation.models import Visibility

from .models import Follow, Idea, MeToo, Support, Vote


def reader_check(user: Any, noted: dict[str, Any]) -> Clauses:
    found: Clauses = {}
    me = user.pk
    if idea := noted.get("idea"):
        for name, model in (
            ("differs_support", Support),
            ("differs_vote", Vote),
            ("differs_follow", Follow),
        ):
            found[name] = (
                f"SELECT 1 FROM {table(model)} WHERE user_id = %s AND idea_id = %s",
                [me, idea],
            )
    if report := noted.get("report"):
        found["differs_me_too"] = (
            f"SELECT 1 FROM {table(MeToo)} WHERE user_id = %s AND report_id = %s",
            [me, report],
        )
    if campaign := noted.get("campaign"):
        found["differs_own_ideas"] = (
            f"SELECT 1 FROM {table(Idea)} WHERE campaign_id = %s AND author_id = %s "
            "AND visibility <> %s",
            [campaign, me, Visibility.PUBLISHED.value],
        )
        found["differs_follows_campaign"] = (
            f"SELECT 1 FROM {table(Follow)} WHERE user_id = %s AND campaign_id = %s",
            [me, campaign],
        )
    if cards := noted.get("voted_cards"):
        found["differs_card_votes"] = (
            f"SELECT 1 FROM {table(Vote)} WHERE user_id = %s "
            f"AND idea_id IN ({marks(cards)})",
            [me, *cards],
        )
    return found
