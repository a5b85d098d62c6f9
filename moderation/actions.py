"""Every change of state in moderation: check_* validates and enforces permission, do_* writes.

Flags, appeals, the queue's decisions (one at a time or in bulk), duplicates and
sanctions. Each do_* runs in one transaction, writes an audit record for every
decision, tells the author, and updates the live queue (`moderation.queue`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actions import do_notify
from accounts.models import recipient_language
from accounts.roles import Role, has_role
from live import publish_on_commit

from .models import (
    Appeal,
    DuplicateMark,
    Flag,
    FlagReason,
    ItemKind,
    ModerationDecision,
    QueueItem,
    Sanction,
    SanctionKind,
    Visibility,
)
from .registry import ContentKind, kind_for
from .sanctions import ParticipationRefused, check_can_participate, forget_sanction
from .screening import current_screening
from .signals import content_visibility_changed

QUEUE_TOPIC = "moderation.queue"
AUTO_HIDE_REASON = gettext_lazy(
    "Several residents flagged this, so it is hidden until a moderator has looked "
    "at it."
)


class ModerationError(Exception):
    """A refusal the person can act on; the message is shown to them as it is."""


class Decision:
    APPROVE = "approve"
    HIDE = "hide"
    REMOVE = "remove"
    RESTORE = "restore"
    REJECT_APPEAL = "reject_appeal"
    DUPLICATE = "duplicate"


DECISION_LABELS = {
    Decision.APPROVE: gettext_lazy("Approve"),
    Decision.HIDE: gettext_lazy("Hide"),
    Decision.REMOVE: gettext_lazy("Remove"),
    Decision.RESTORE: gettext_lazy("Restore"),
    Decision.REJECT_APPEAL: gettext_lazy("Keep hidden (reject the appeal)"),
    Decision.DUPLICATE: gettext_lazy("Mark as duplicate"),
    "auto_hide": gettext_lazy("Hidden automatically after flags"),
    "lock": gettext_lazy("Lock"),
    "sanction_warning": gettext_lazy("Warning"),
    "sanction_suspension": gettext_lazy("Suspension"),
    "sanction_ban": gettext_lazy("Ban"),
}
# Decisions that need a reason, which is shown to the author.
NEEDS_REASON = {Decision.HIDE, Decision.REMOVE, Decision.REJECT_APPEAL}
# What each decision makes of the content's visibility, and from which states.
VISIBILITY_AFTER = {
    Decision.APPROVE: Visibility.PUBLISHED,
    Decision.HIDE: Visibility.HIDDEN,
    Decision.REMOVE: Visibility.REMOVED,
    Decision.RESTORE: Visibility.PUBLISHED,
    Decision.REJECT_APPEAL: Visibility.HIDDEN,
}
ALLOWED_FROM = {
    Decision.APPROVE: {Visibility.PENDING, Visibility.HIDDEN, Visibility.PUBLISHED},
    Decision.HIDE: {Visibility.PENDING, Visibility.PUBLISHED},
    Decision.REMOVE: {Visibility.PENDING, Visibility.PUBLISHED, Visibility.HIDDEN},
    Decision.RESTORE: {Visibility.HIDDEN, Visibility.REMOVED},
    Decision.REJECT_APPEAL: {Visibility.HIDDEN},
}
REASON_CODES = [*FlagReason.choices]


def auto_hide_flags() -> int:
    return int(getattr(settings, "MODERATION_AUTO_HIDE_FLAGS", 3))


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def is_moderator(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and has_role(user, Role.MODERATOR)
    )


def _require_moderator(user: Any) -> None:
    if not is_moderator(user):
        raise ModerationError(_("Only moderators can decide on content."))


def _require_resident(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise ModerationError(_("Log in to take part."))
    try:
        check_can_participate(user)
    except ParticipationRefused as refusal:
        raise ModerationError(str(refusal)) from refusal


def _kind(obj: Any) -> ContentKind:
    kind = kind_for(obj)
    if kind is None:
        raise ModerationError(_("This kind of content cannot be moderated."))
    return kind


def _ct(obj: Any) -> ContentType:
    return ContentType.objects.get_for_model(type(obj))


def _excerpt(kind: ContentKind, obj: Any) -> str:
    text = " ".join(str(kind.excerpt(obj)).split())
    return text[:280]


def render_queue_row(item: QueueItem) -> str:
    """The queue's row for one item: the page and the live event render this same include."""
    return render_to_string(
        "moderation/includes/queue_row.html",
        {"item": item, "live_fragment": True},
    )


def _waiting_count() -> int:
    return QueueItem.objects.filter(decided_at__isnull=True).count()


def _publish_added(item: QueueItem, *, created: bool) -> None:
    data: dict[str, Any] = {
        "html": render_queue_row(item),
        "counts": {"waiting": _waiting_count()},
    }
    if created:
        data.update(mode="append", list=f"{QUEUE_TOPIC}:items", dom_id=item.dom_id())
        data["announce"] = _("New in the moderation queue: %(label)s") % {
            "label": item.label
        }
    else:
        data.update(mode="replace", dom_id=item.dom_id())
    publish_on_commit(QUEUE_TOPIC, "moderation.item_added", data)


def _publish_decided(item_ids: list[int]) -> None:
    waiting = _waiting_count()
    for item_id in item_ids:
        publish_on_commit(
            QUEUE_TOPIC,
            "moderation.item_decided",
            {
                "mode": "remove",
                "dom_id": f"queue-item-{item_id}",
                "counts": {"waiting": waiting},
            },
        )


def _new_item(obj: Any, kind_of_item: str, **fields: Any) -> QueueItem:
    kind = _kind(obj)
    scope_key, scope_label = kind.scope_of(obj)
    return QueueItem.objects.create(
        kind=kind_of_item,
        content_type=_ct(obj),
        object_id=obj.pk,
        author_id=getattr(obj, "author_id", None),
        label=str(kind.label)[:60],
        excerpt=_excerpt(kind, obj),
        url=str(kind.url(obj))[:500],
        scope_key=scope_key[:60],
        scope_label=scope_label[:200],
        **fields,
    )


def open_item_for(obj: Any, *, lock: bool = False) -> QueueItem | None:
    qs = QueueItem.objects.filter(
        content_type=_ct(obj), object_id=obj.pk, decided_at__isnull=True
    )
    if lock:
        qs = qs.select_for_update()
    return qs.first()


# ---------------------------------------------------------------------------
# Pending content enters the queue (called when held content is saved)
# ---------------------------------------------------------------------------


def enqueue_pending(obj: Any, *, created: bool) -> QueueItem | None:
    """Put content that waits for review in the queue, with the rule that held it.

    Content saved right after its screening with the same author and reason as
    an item just made (a new thread's opening post) joins that item: one
    decision covers both.
    """
    if kind_for(obj) is None:
        return None
    screening = current_screening.get()
    matches = (
        screening is not None
        and screening.author_id == getattr(obj, "author_id", None)
        and screening.reason == obj.visibility_reason
    )
    with transaction.atomic():
        if screening is not None and matches and created and screening.item_id:
            item = QueueItem.objects.select_for_update().get(pk=screening.item_id)
            item.companions = [*item.companions, [_ct(obj).pk, obj.pk]]
            addition = _excerpt(_kind(obj), obj)
            item.excerpt = f"{item.excerpt} — {addition}"[:300]
            item.save(update_fields=["companions", "excerpt"])
            _publish_added(item, created=False)
            return item
        if not created and open_item_for(obj) is not None:
            return None
        item = _new_item(
            obj,
            ItemKind.PENDING,
            rule=(screening.rule if screening is not None and matches else ""),
            reason=obj.visibility_reason[:500],
        )
        if screening is not None and matches:
            screening.item_id = item.pk
        _publish_added(item, created=True)
    return item


# ---------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------


def check_flag_content(user: Any, obj: Any) -> None:
    _require_resident(user)
    _kind(obj)
    if getattr(obj, "author_id", None) == user.pk:
        raise ModerationError(_("You cannot flag your own contribution."))
    if obj.visibility != Visibility.PUBLISHED:
        raise ModerationError(
            _("This is already with the moderators; thank you for caring.")
        )


def do_flag_content(user: Any, obj: Any, reason: str, note: str = "") -> Flag:
    """A resident flags content once; at N distinct flags it is hidden pending review."""
    check_flag_content(user, obj)
    if reason not in FlagReason.values:
        raise ModerationError(_("Choose why you are flagging this."))
    note = " ".join((note or "").split())[:500]
    if reason == FlagReason.OTHER and not note:
        raise ModerationError(_("Tell the moderators in a few words what is wrong."))
    ct = _ct(obj)
    with transaction.atomic():
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    user=user,
                    content_type=ct,
                    object_id=obj.pk,
                    reason=reason,
                    note=note,
                )
        except IntegrityError:
            raise ModerationError(
                _("You have already flagged this; the moderators will look at it.")
            ) from None
        found = open_item_for(obj, lock=True)
        created = found is None
        item = found or _new_item(obj, ItemKind.FLAGGED, rule="flags")
        QueueItem.objects.filter(pk=item.pk).update(flag_count=F("flag_count") + 1)
        item.refresh_from_db(fields=["flag_count"])
        reasons = dict(item.flag_reasons)
        reasons[reason] = reasons.get(reason, 0) + 1
        item.flag_reasons = reasons
        item.reason = ", ".join(
            str(FlagReason(r).label)
            for r in sorted(reasons, key=lambda r: reasons[r], reverse=True)
        )[:500]
        item.save(update_fields=["flag_reasons", "reason"])
        if item.flag_count >= auto_hide_flags():
            _auto_hide(obj, item)
        _publish_added(item, created=created)
    return flag


def _auto_hide(obj: Any, item: QueueItem) -> None:
    model = type(obj)
    hidden = model.objects.filter(pk=obj.pk, visibility=Visibility.PUBLISHED).update(
        visibility=Visibility.HIDDEN, visibility_reason=str(AUTO_HIDE_REASON)
    )
    if not hidden:
        return
    before = {"visibility": obj.visibility, "reason": obj.visibility_reason}
    obj.visibility, obj.visibility_reason = Visibility.HIDDEN, str(AUTO_HIDE_REASON)
    ModerationDecision.objects.create(
        moderator=None,
        moderator_name=_("automatic rule"),
        action="auto_hide",
        content_type=item.content_type,
        object_id=obj.pk,
        content_label=item.label,
        reason_code="flags",
        reason=item.reason,
        before=before,
        after={"visibility": Visibility.HIDDEN, "reason": str(AUTO_HIDE_REASON)},
    )
    content_visibility_changed.send(
        sender=model,
        object_ids=[obj.pk],
        visibility=Visibility.HIDDEN,
        decision="auto_hide",
    )


# ---------------------------------------------------------------------------
# Decisions on content: one at a time or in bulk, through one core
# ---------------------------------------------------------------------------


@dataclass
class _Target:
    content_type_id: int
    object_id: int
    author_id: int | None
    visibility: str
    reason: str
    label: str
    excerpt: str
    url: str
    item: QueueItem | None = None
    companions: list[list[int]] = field(default_factory=list)
    appeal: Appeal | None = None


@dataclass
class BulkResult:
    decided: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _refusal(moderator: Any, target: _Target, decision: str, reason: str) -> str | None:
    """Why `moderator` may not take `decision` on `target`, or None."""
    if target.author_id is not None and target.author_id == moderator.pk:
        return _("You cannot decide on your own contribution; another moderator will.")
    if target.appeal is not None and target.appeal.hidden_by_id == moderator.pk:
        return _(
            "This appeal is against your own decision, so another moderator must "
            "decide it."
        )
    if decision == Decision.REJECT_APPEAL and target.appeal is None:
        return _("There is no appeal to answer here.")
    if decision in NEEDS_REASON and not reason:
        return _("Give a reason: the author will read it.")
    if target.visibility not in ALLOWED_FROM[decision]:
        return _("This cannot be done to content that is “%(state)s”.") % {
            "state": Visibility(target.visibility).label
        }
    return None


def _notify_text(decision: str, target: _Target, reason: str) -> str | None:
    what = {"label": target.label, "excerpt": target.excerpt[:80], "reason": reason}
    if decision == Decision.APPROVE and target.visibility != Visibility.PUBLISHED:
        return (
            _("Your %(label)s “%(excerpt)s” was approved and everyone can see it.")
            % what
        )
    if decision == Decision.HIDE:
        return (
            _(
                "A moderator hid your %(label)s “%(excerpt)s”. Reason: %(reason)s "
                "You can appeal once from its page."
            )
            % what
        )
    if decision == Decision.REMOVE:
        return (
            _("A moderator removed your %(label)s “%(excerpt)s”. Reason: %(reason)s")
            % what
        )
    if decision == Decision.RESTORE:
        return (
            _("Your %(label)s “%(excerpt)s” is visible again: a moderator restored it.")
            % what
        )
    if decision == Decision.REJECT_APPEAL:
        return (
            _(
                "A second moderator looked at your appeal and kept your %(label)s "
                "“%(excerpt)s” hidden. Reason: %(reason)s"
            )
            % what
        )
    return None


def _apply(
    moderator: Any, decision: str, targets: list[_Target], reason_code: str, reason: str
) -> BulkResult:
    """Carry out one decision on many targets with a fixed number of writes per
    content type (plus one notification and one live event per item)."""
    result = BulkResult()
    now = timezone.now()
    after_visibility = VISIBILITY_AFTER[decision]
    after_reason = reason if after_visibility != Visibility.PUBLISHED else ""
    accepted: list[_Target] = []
    for target in targets:
        refusal = _refusal(moderator, target, decision, reason)
        if refusal:
            result.refused.append(
                (target.item.pk if target.item else target.object_id, refusal)
            )
        else:
            accepted.append(target)
    if not accepted:
        return result
    by_type: dict[int, list[int]] = defaultdict(list)
    for target in accepted:
        by_type[target.content_type_id].append(target.object_id)
        for ct_id, pk in target.companions:
            by_type[ct_id].append(pk)
    for ct_id, pks in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        assert model is not None  # noqa: S101 - registered content types exist
        model._default_manager.filter(pk__in=pks).update(
            visibility=after_visibility, visibility_reason=after_reason[:500]
        )
        content_visibility_changed.send(
            sender=model, object_ids=pks, visibility=after_visibility, decision=decision
        )
    item_ids = [t.item.pk for t in accepted if t.item is not None]
    if item_ids:
        QueueItem.objects.filter(pk__in=item_ids).update(
            decided_at=now, decided_by=moderator, decision=decision
        )
    ModerationDecision.objects.bulk_create(
        [
            ModerationDecision(
                moderator=moderator,
                moderator_name=str(moderator),
                action=decision,
                content_type_id=t.content_type_id,
                object_id=t.object_id,
                content_label=t.label,
                subject_id=t.author_id,
                reason_code=reason_code,
                reason=reason,
                before={"visibility": t.visibility, "reason": t.reason},
                after={"visibility": after_visibility, "reason": after_reason},
                created_at=now,
            )
            for t in accepted
        ]
    )
    authors = _users({t.author_id for t in accepted if t.author_id})
    for target in accepted:
        author = authors.get(target.author_id) if target.author_id else None
        if author is None:
            continue
        with translation.override(recipient_language(author)):
            text = _notify_text(decision, target, reason)
        if text:
            do_notify(author, f"moderation.{decision}", text, target.url, actor=None)
    _publish_decided(item_ids)
    result.decided = [t.item.pk if t.item else t.object_id for t in accepted]
    return result


def _users(ids: set[int]) -> dict[int, Any]:
    from accounts.models import User

    return {u.pk: u for u in User.objects.filter(pk__in=ids)} if ids else {}


def _target_for(obj: Any, item: QueueItem | None) -> _Target:
    kind = _kind(obj)
    appeal = None
    if item is not None and item.kind == ItemKind.APPEAL:
        appeal = Appeal.objects.filter(
            content_type_id=item.content_type_id, object_id=item.object_id
        ).first()
    return _Target(
        content_type_id=_ct(obj).pk,
        object_id=obj.pk,
        author_id=getattr(obj, "author_id", None),
        visibility=obj.visibility,
        reason=obj.visibility_reason,
        label=str(kind.label),
        excerpt=item.excerpt if item else _excerpt(kind, obj),
        url=str(kind.url(obj)),
        item=item,
        companions=list(item.companions) if item else [],
        appeal=appeal,
    )


def check_decide(moderator: Any, obj: Any, decision: str, reason: str = "") -> None:
    """May `moderator` take `decision` on `obj` now? Raises ModerationError if not."""
    _require_moderator(moderator)
    if decision not in VISIBILITY_AFTER:
        raise ModerationError(_("Unknown decision."))
    refusal = _refusal(
        moderator, _target_for(obj, open_item_for(obj)), decision, _clean(reason)
    )
    if refusal:
        raise ModerationError(refusal)


def _clean(reason: str) -> str:
    return " ".join((reason or "").split())[:1000]


def do_decide(
    moderator: Any,
    obj: Any,
    decision: str,
    reason: str = "",
    reason_code: str = "",
) -> None:
    """Approve, hide, remove, restore, or keep hidden after an appeal; audited and told."""
    check_decide(moderator, obj, decision, reason)
    reason = _clean(reason)
    with transaction.atomic():
        item = open_item_for(obj, lock=True)
        result = _apply(
            moderator, decision, [_target_for(obj, item)], reason_code or "", reason
        )
        if result.refused:
            raise ModerationError(result.refused[0][1])
        obj.visibility = VISIBILITY_AFTER[decision]
        obj.visibility_reason = reason if obj.visibility != Visibility.PUBLISHED else ""


def check_bulk_decide(moderator: Any, decision: str, reason: str = "") -> None:
    _require_moderator(moderator)
    if decision not in VISIBILITY_AFTER:
        raise ModerationError(_("Unknown decision."))
    if decision in NEEDS_REASON and not _clean(reason):
        raise ModerationError(_("Give a reason: the authors will read it."))


def do_bulk_decide(
    moderator: Any,
    item_ids: list[int],
    decision: str,
    reason: str = "",
    reason_code: str = "",
) -> BulkResult:
    """One decision on many queue items; items the moderator may not decide are
    left in the queue and reported, the rest decided in one transaction."""
    check_bulk_decide(moderator, decision, reason)
    reason = _clean(reason)
    with transaction.atomic():
        items = list(
            QueueItem.objects.select_for_update()
            .filter(pk__in=item_ids, decided_at__isnull=True)
            .order_by("pk")
        )
        # The content's current state, one query per content type.
        states: dict[tuple[int, int], tuple[str, str, int | None]] = {}
        by_type: dict[int, list[int]] = defaultdict(list)
        for item in items:
            by_type[item.content_type_id].append(item.object_id)
        for ct_id, pks in by_type.items():
            model = ContentType.objects.get_for_id(ct_id).model_class()
            assert model is not None  # noqa: S101
            fields = ["pk", "visibility", "visibility_reason"]
            for pk, vis, why in model._default_manager.filter(pk__in=pks).values_list(
                *fields
            ):
                states[(ct_id, pk)] = (vis, why, None)
        appeals = {
            (a.content_type_id, a.object_id): a
            for a in Appeal.objects.filter(
                object_id__in=[i.object_id for i in items if i.kind == ItemKind.APPEAL]
            )
        }
        targets = []
        for item in items:
            state = states.get((item.content_type_id, item.object_id))
            if state is None:
                continue
            targets.append(
                _Target(
                    content_type_id=item.content_type_id,
                    object_id=item.object_id,
                    author_id=item.author_id,
                    visibility=state[0],
                    reason=state[1],
                    label=item.label,
                    excerpt=item.excerpt,
                    url=item.url,
                    item=item,
                    companions=list(item.companions),
                    appeal=appeals.get((item.content_type_id, item.object_id))
                    if item.kind == ItemKind.APPEAL
                    else None,
                )
            )
        return _apply(moderator, decision, targets, reason_code or "", reason)


# ---------------------------------------------------------------------------
# Decisions the owning app carries out (lock a thread)
# ---------------------------------------------------------------------------


def check_content_action(moderator: Any, obj: Any, name: str) -> None:
    _require_moderator(moderator)
    if name not in _kind(obj).actions:
        raise ModerationError(_("This cannot be done to this kind of content."))
    if getattr(obj, "author_id", None) == moderator.pk:
        raise ModerationError(
            _("You cannot decide on your own contribution; another moderator will.")
        )


def do_content_action(moderator: Any, obj: Any, name: str, reason: str = "") -> None:
    """Run an app-provided decision (forums' "lock") and audit it."""
    check_content_action(moderator, obj, name)
    reason = _clean(reason)
    kind = _kind(obj)
    _label, fn = kind.actions[name]
    with transaction.atomic():
        fn(moderator, obj, reason)
        ModerationDecision.objects.create(
            moderator=moderator,
            moderator_name=str(moderator),
            action=name,
            content_type=_ct(obj),
            object_id=obj.pk,
            content_label=str(kind.label),
            subject_id=getattr(obj, "author_id", None),
            reason=reason,
            before={name: False},
            after={name: True},
        )


# ---------------------------------------------------------------------------
# Duplicates (ideas)
# ---------------------------------------------------------------------------


def check_mark_duplicate(moderator: Any, obj: Any, other: Any) -> None:
    _require_moderator(moderator)
    kind = _kind(obj)
    if kind.supporters is None or type(other) is not type(obj):
        raise ModerationError(_("Only ideas can be marked as duplicates of ideas."))
    if other.pk == obj.pk:
        raise ModerationError(_("An idea cannot duplicate itself."))
    if getattr(obj, "author_id", None) == moderator.pk:
        raise ModerationError(
            _("You cannot decide on your own contribution; another moderator will.")
        )
    if other.visibility != Visibility.PUBLISHED:
        raise ModerationError(_("Point to a published idea."))
    if DuplicateMark.objects.filter(content_type=_ct(obj), object_id=obj.pk).exists():
        raise ModerationError(_("This idea is already marked as a duplicate."))


def do_mark_duplicate(
    moderator: Any, obj: Any, other: Any, reason: str = ""
) -> DuplicateMark:
    """Mark `obj` as a duplicate of `other`: its page points there, its author and
    supporters are told and offered to support the other. Supports never move."""
    check_mark_duplicate(moderator, obj, other)
    kind = _kind(obj)
    assert kind.supporters is not None  # noqa: S101 - checked above
    other_label = str(kind.excerpt(other)).split(":")[0][:200]
    other_url = str(kind.url(other))
    this_label = str(kind.excerpt(obj)).split(":")[0][:200]
    with transaction.atomic():
        mark = DuplicateMark.objects.create(
            content_type=_ct(obj),
            object_id=obj.pk,
            duplicate_of_id=other.pk,
            duplicate_of_label=other_label,
            duplicate_of_url=other_url,
        )
        ModerationDecision.objects.create(
            moderator=moderator,
            moderator_name=str(moderator),
            action=Decision.DUPLICATE,
            content_type=_ct(obj),
            object_id=obj.pk,
            content_label=str(kind.label),
            subject_id=getattr(obj, "author_id", None),
            reason_code="duplicate",
            reason=_clean(reason),
            before={"duplicate_of": None},
            after={"duplicate_of": other.pk},
        )
        already = {u.pk for u in kind.supporters(other)}

        def text() -> str:  # in each supporter's language
            return _(
                "An idea you support, “%(this)s”, was marked as a duplicate of "
                "“%(other)s”. Your support stays where it is; if you agree, support "
                "“%(other)s” too with one click on its page."
            ) % {"this": this_label, "other": other_label}

        for user in kind.supporters(obj):
            if user.pk not in already:
                do_notify(user, "moderation.duplicate", text, other_url + "#support")
        author = getattr(obj, "author", None)
        if author is not None:
            do_notify(
                author,
                "moderation.duplicate",
                lambda: (
                    _(
                        "A moderator marked your idea “%(this)s” as a duplicate of "
                        "“%(other)s”. Its supports stay with it."
                    )
                    % {"this": this_label, "other": other_label}
                ),
                str(kind.url(obj)),
            )
        item = open_item_for(obj, lock=True)
        if item is not None:
            QueueItem.objects.filter(pk=item.pk).update(
                decided_at=timezone.now(), decided_by=moderator, decision="duplicate"
            )
            _publish_decided([item.pk])
    return mark


def duplicate_of(obj: Any) -> DuplicateMark | None:
    """The mark saying `obj` duplicates another, for its page (one query)."""
    return DuplicateMark.objects.filter(content_type=_ct(obj), object_id=obj.pk).first()


# ---------------------------------------------------------------------------
# Appeals
# ---------------------------------------------------------------------------


def check_appeal(user: Any, obj: Any) -> None:
    if user is None or not user.is_authenticated:
        raise ModerationError(_("Log in to take part."))
    _kind(obj)
    if getattr(obj, "author_id", None) != user.pk:
        raise ModerationError(_("Only the author can appeal this decision."))
    if obj.visibility != Visibility.HIDDEN:
        raise ModerationError(_("Only hidden contributions can be appealed."))
    if Appeal.objects.filter(content_type=_ct(obj), object_id=obj.pk).exists():
        raise ModerationError(
            _("You have already appealed this decision; a moderator's answer is final.")
        )


def do_appeal(user: Any, obj: Any, text: str) -> Appeal:
    """The author asks once for a hide to be reviewed; another moderator decides."""
    check_appeal(user, obj)
    text = (text or "").strip()[:2000]
    if not text:
        raise ModerationError(_("Say in a few words why it should be shown again."))
    ct = _ct(obj)
    last_hide = (
        ModerationDecision.objects.filter(
            content_type=ct, object_id=obj.pk, action__in=[Decision.HIDE, "auto_hide"]
        )
        .order_by("-created_at", "-id")
        .first()
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    content_type=ct,
                    object_id=obj.pk,
                    author=user,
                    text=text,
                    hidden_by=last_hide.moderator if last_hide else None,
                )
        except IntegrityError:
            raise ModerationError(
                _(
                    "You have already appealed this decision; a moderator's answer is final."
                )
            ) from None
        item = open_item_for(obj, lock=True)
        if item is None:
            item = _new_item(obj, ItemKind.APPEAL, rule="appeal", reason=text[:500])
            _publish_added(item, created=True)
        else:
            item.kind, item.reason = ItemKind.APPEAL, text[:500]
            item.save(update_fields=["kind", "reason"])
            _publish_added(item, created=False)
    return appeal


def appeal_for(obj: Any) -> Appeal | None:
    return Appeal.objects.filter(content_type=_ct(obj), object_id=obj.pk).first()


# ---------------------------------------------------------------------------
# Sanctions
# ---------------------------------------------------------------------------


def check_sanction(
    moderator: Any, user: Any, kind: str, reason: str, days: int | None
) -> None:
    _require_moderator(moderator)
    if user.pk == moderator.pk:
        raise ModerationError(_("You cannot sanction your own account."))
    if any(has_role(user, r) for r in (Role.MODERATOR, Role.PLANNER, Role.CITY_ADMIN)):
        raise ModerationError(
            _("Staff accounts are not sanctioned here; ask a city administrator.")
        )
    if kind not in SanctionKind.values:
        raise ModerationError(_("Choose a warning, a suspension or a ban."))
    if not _clean(reason):
        raise ModerationError(_("Give a reason: the resident will read it."))
    if kind == SanctionKind.SUSPENSION and (not days or days < 1 or days > 365):
        raise ModerationError(_("A suspension lasts from 1 to 365 days."))


def do_sanction(
    moderator: Any, user: Any, kind: str, reason: str, days: int | None = None
) -> Sanction:
    """Warn, suspend for N days or ban a resident; they are told why (and until when)."""
    check_sanction(moderator, user, kind, reason, days)
    reason = _clean(reason)
    until = None
    if kind == SanctionKind.SUSPENSION:
        until = timezone.now() + timedelta(days=int(days or 0))
    with transaction.atomic():
        sanction = Sanction.objects.create(
            user=user, kind=kind, reason=reason, until=until, created_by=moderator
        )
        ModerationDecision.objects.create(
            moderator=moderator,
            moderator_name=str(moderator),
            action=f"sanction_{kind}",
            subject=user,
            reason_code="sanction",
            reason=reason,
            before={},
            after={"sanction": kind, "until": until.isoformat() if until else None},
        )
        forget_sanction(user)

        def text() -> str:  # in the resident's language
            if kind == SanctionKind.WARNING:
                return _("A moderator sent you a warning: %(reason)s") % {
                    "reason": reason
                }
            from .sanctions import refusal_message

            return refusal_message(sanction)

        do_notify(user, f"moderation.{kind}", text, "")
    return sanction
