"""Residents' side of moderation: flag content, appeal a hide, read the public log."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.limits import limit

from . import actions
from .content import get_content
from .forms import AppealForm, FlagForm
from .models import FlagReason, ModerationDecision
from .registry import kind_for
from .screening import RULE_LABELS

WEEKS_PER_PAGE = 12


def _next_url(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return fallback


@login_required
def flag_content(request: HttpRequest, ct_id: int, pk: int) -> HttpResponse:
    obj = get_content(ct_id, pk)
    kind = kind_for(obj)
    assert kind is not None  # noqa: S101 - get_content checked it
    back = _next_url(request, kind.url(obj))
    form = FlagForm(request.POST or None)
    if request.method == "POST":
        limit(request, "flag")
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_flag_content(
                request.user,
                obj,
                form.cleaned_data["reason"],
                form.cleaned_data["note"],
            )
        except actions.ModerationError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Thank you. The moderators will look at it."))
            return redirect(back)
    return render(
        request,
        "moderation/flag.html",
        {"form": form, "excerpt": kind.excerpt(obj), "next": back},
        status=400 if form.errors else 200,
    )


@login_required
def appeal_content(request: HttpRequest, ct_id: int, pk: int) -> HttpResponse:
    obj = get_content(ct_id, pk)
    kind = kind_for(obj)
    assert kind is not None  # noqa: S101
    url = kind.url(obj)
    try:
        actions.check_appeal(request.user, obj)
    except actions.ModerationError as refusal:
        messages.error(request, str(refusal))
        return redirect(url)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_appeal(request.user, obj, form.cleaned_data["text"])
        except actions.ModerationError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Your appeal is with the moderators; another moderator will decide."),
            )
            return redirect(url)
    return render(
        request,
        "moderation/appeal.html",
        {
            "form": form,
            "object": obj,
            "label": kind.label,
            "excerpt": kind.excerpt(obj),
            "url": url,
        },
        status=400 if form.errors else 200,
    )


def reason_label(code: str) -> str:
    if code in FlagReason.values:
        return str(FlagReason(code).label)
    labels: dict[str, Any] = {
        **RULE_LABELS,
        "sanction": _("Measure on an account"),
        "duplicate": _("Duplicate"),
    }
    return str(labels.get(code, "—"))


def public_log(request: HttpRequest) -> HttpResponse:
    """Counts of decisions per week by decision and reason: no names, no texts."""
    weeks_qs = (
        ModerationDecision.objects.annotate(week=TruncWeek("created_at"))
        .order_by("-week")
        .values_list("week", flat=True)
        .distinct()
    )
    page = Paginator(weeks_qs, WEEKS_PER_PAGE).get_page(request.GET.get("page"))
    starts = list(page.object_list)
    rows = (
        ModerationDecision.objects.annotate(week=TruncWeek("created_at"))
        .filter(week__in=starts)
        .values("week", "action", "reason_code")
        .annotate(count=Count("id"))
        .order_by("-week", "-count", "action")
    )
    by_week: dict[Any, list[dict[str, Any]]] = {start: [] for start in starts}
    for row in rows:
        by_week.setdefault(row["week"], []).append(
            {
                "action": actions.DECISION_LABELS.get(row["action"], row["action"]),
                "reason": reason_label(row["reason_code"]),
                "count": row["count"],
            }
        )
    weeks = [{"start": start, "rows": by_week[start]} for start in starts]
    return render(request, "moderation/public_log.html", {"weeks": weeks, "page": page})
