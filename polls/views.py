"""Poll pages: vote, receipt, results and exports, the event vote's phone and
projector pages, and the staff controls. Views parse and render; actions decide."""

from __future__ import annotations

import contextlib
import csv
import json
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.limits import RateLimited, limit
from forums.hosts import discussion_context

from . import actions, ballots, counting
from .models import PollPage, PollResult


def _poll(pk: int) -> PollPage:
    return get_object_or_404(
        PollPage.objects.live().public().select_related("box", "thread"), pk=pk
    )


def _device_key(request: HttpRequest, poll: PollPage) -> str | None:
    """At an event vote: this browser's voter key, once it gave the access code."""
    if not poll.is_event or not request.session.get(f"event.{poll.pk}"):
        return None
    token = request.session.get("agora_device")
    return ballots.voter_key_for_device(token) if token else None


def current_result(poll: PollPage) -> dict[str, Any] | None:
    """The final result once published; the running counts while results are live."""
    final = PollResult.objects.filter(poll=poll).first()
    if final is not None:
        return final.data
    if actions.state_of(poll) == "closed":
        return actions.finalise_poll(poll).data
    if not actions.results_visible(poll):
        return None
    box = actions.box_of(poll)
    return counting.present(
        actions.spec_of(poll),
        box.counts or {},
        weights=poll.weight_map(),
        privacy_minimum=poll.privacy_minimum,
    )


def _questions(poll: PollPage, raw: dict[str, Any] | None = None) -> list[dict]:
    raw = raw or {}
    out = []
    for q in poll.questions.prefetch_related("ideas"):
        given = raw.get(str(q.pk)) or []
        options = []
        for i, label in enumerate(q.options):
            rank = given[i] if q.kind == "ranking" and i < len(given) else ""
            options.append(
                {
                    "index": i,
                    "label": label,
                    "checked": str(i) in [str(g) for g in given],
                    "rank": rank,
                }
            )
        out.append(
            {
                "q": q,
                "options": options,
                "ranks": range(1, len(options) + 1),
                "ideas": list(q.ideas.all()[:10]),
            }
        )
    return out


def poll_page(
    request: HttpRequest,
    poll: PollPage,
    *,
    error: str = "",
    raw: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    box = actions.box_of(poll)
    device_key = _device_key(request, poll)
    refusal = ""
    voted = False
    try:
        actions.check_vote(poll, request.user, device_key=device_key)
    except actions.PollError as why:
        refusal = why.message
    voter_key = device_key or (
        ballots.voter_key_for_user(request.user)
        if request.user.is_authenticated
        else None
    )
    if voter_key:
        voted = ballots.has_voted(box, voter_key)
    lookup = None
    receipt = request.GET.get("receipt", "").strip()
    if receipt:
        lookup = ballots.find_receipt(box, receipt[:40]) or "missing"
    context: dict[str, Any] = {
        "page": poll,
        "poll": poll,
        "box": box,
        "state": actions.state_of(poll),
        "questions": _questions(poll, raw),
        "refusal": refusal,
        "error": error,
        "voted": voted,
        "rules": poll.rules.describe() if not poll.is_event else [],
        "result": current_result(poll),
        "lookup": lookup,
        "receipt_query": receipt,
        "topic": actions.poll_topic(poll),
        "can_manage": _can_manage(request, poll),
    }
    if poll.thread_id:
        context.update(discussion_context(request, poll.thread))
    return render(request, "polls/poll_page.html", context, status=status)


def _can_manage(request: HttpRequest, poll: PollPage) -> bool:
    try:
        actions.check_manage_poll(request.user, poll)
    except PermissionDenied:
        return False
    return True


def _raw_answers(request: HttpRequest, poll: PollPage) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for q in poll.questions.all():
        if q.kind == "ranking":
            raw[str(q.pk)] = [
                request.POST.get(f"q{q.pk}_{i}", "")[:3] for i in range(len(q.options))
            ]
        else:
            raw[str(q.pk)] = request.POST.getlist(f"q{q.pk}")[:50]
    return raw


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    device_key = _device_key(request, poll)
    if not poll.is_event and not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={poll.url}")
    if device_key:
        # Phones at an event share the hall's address: limit each device instead.
        limit(request, "ballot", key=lambda group, req: device_key or "")
    else:
        limit(request, "ballot")
    raw = _raw_answers(request, poll)
    try:
        receipt = actions.do_vote(
            poll,
            request.user,
            raw,
            device_key=device_key,
            replacing_receipt=request.POST.get("receipt", "").strip()[:40] or None,
        )
    except actions.PollError as error:
        if poll.is_event and request.POST.get("from") == "phone":
            return event_phone(
                request, poll.event_code, error=error.message, status=400
            )
        return poll_page(request, poll, error=error.message, raw=raw, status=400)
    response = render(
        request, "polls/receipt.html", {"poll": poll, "page": poll, "receipt": receipt}
    )
    response["Cache-Control"] = "no-store"
    return response


def results(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    result = current_result(poll)
    log = getattr(actions.box_of(poll), "published_log", None)
    return render(
        request,
        "polls/results.html",
        {"poll": poll, "page": poll, "result": result, "log": log},
    )


def _result_or_404(poll: PollPage) -> dict[str, Any]:
    result = current_result(poll)
    if result is None:
        raise Http404(_("The results of this poll are shown after it closes."))
    return result


def results_json(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    return JsonResponse(
        {"poll": poll.pk, "title": poll.title, "result": _result_or_404(poll)},
        json_dumps_params={"ensure_ascii": False},
    )


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def results_csv(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    result = _result_or_404(poll)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="poll-{poll.pk}-results.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["question", "option", "count", "percent", "weighted_percent", "voters"]
    )
    for q in result["questions"]:
        for option in q["options"]:
            writer.writerow(
                [
                    _cell(q["text"]),
                    _cell(option["label"]),
                    option["count"],
                    option["percent"],
                    option.get("weighted_percent", ""),
                    q["voters"],
                ]
            )
    return response


def ballot_log(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    poll = _poll(pk)
    current_result(poll)  # publishes the log if the poll has just closed
    log = getattr(actions.box_of(poll), "published_log", None)
    if log is None:
        raise Http404(_("The ballot log is published when voting has closed."))
    if fmt == "csv":
        response = HttpResponse(log.csv_text, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            log.json_text, content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = (
        f'attachment; filename="poll-{poll.pk}-ballots.{fmt}"'
    )
    return response


def projector(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    box = actions.box_of(poll)
    result = counting.present(
        actions.spec_of(poll), box.counts or {}, weights=poll.weight_map()
    )
    show = actions.results_visible(poll) or poll.is_event
    return render(
        request,
        "polls/projector.html",
        {
            "poll": poll,
            "page": poll,
            "box": box,
            "result": result if show else None,
            "topic": actions.poll_topic(poll),
            "state": actions.state_of(poll),
            "vote_url": request.build_absolute_uri("/vote/"),
        },
    )


@login_required
@require_POST
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    actions.check_manage_poll(request.user, poll)
    limit(request, "write")
    what = request.POST.get("action")
    try:
        if what == "open":
            actions.do_open_poll(request.user, poll)
            messages.success(request, _("Voting is open."))
        elif what == "extend":
            closes_at = parse_datetime(request.POST.get("closes_at", ""))
            if closes_at is None:
                raise actions.PollError(
                    _("Give the new closing time, e.g. 2026-12-01 18:00.")
                )
            if timezone.is_naive(closes_at):
                closes_at = timezone.make_aware(closes_at)
            actions.do_extend_poll(request.user, poll, closes_at)
            messages.success(request, _("Voting was extended."))
        elif what == "close":
            actions.do_close_poll(request.user, poll)
            messages.success(
                request, _("Voting is closed and the results are published.")
            )
        elif what == "cancel":
            actions.do_cancel_poll(request.user, poll, request.POST.get("reason", ""))
            messages.success(request, _("The poll was cancelled."))
        else:
            raise actions.PollError(_("Unknown action."))
    except actions.PollError as error:
        messages.error(request, error.message)
    return redirect(poll.url)


# --- event votes: phone pages without an account --------------------------------------


def event_entry(request: HttpRequest) -> HttpResponse:
    """/vote/: type the code and access code from the wall."""
    error = ""
    status = 200
    if request.method == "POST":
        limit(request, "event_vote", key="ip")
        limit(request, "event_code_failure", key="ip", increment=False)
        code = request.POST.get("code", "").strip().upper()[:12]
        access = request.POST.get("access", "").strip()[:12]
        poll = PollPage.objects.live().filter(event_code=code).first() if code else None
        if poll is None:
            error, status = _("No event vote has this code. Check the wall."), 400
        elif not secrets.compare_digest(access, poll.event_access_code or "-"):
            error, status = _("The access code is not right. Check the wall."), 400
        if error:
            with contextlib.suppress(RateLimited):
                limit(request, "event_code_failure", key="ip")
        else:
            request.session[f"event.{poll.pk}"] = True
            request.session.setdefault("agora_device", secrets.token_hex(16))
            return redirect("polls:event_phone", code=poll.event_code)
    return render(
        request,
        "polls/event_entry.html",
        {"error": error, "code": request.POST.get("code", "")[:12]},
        status=status,
    )


def event_phone(
    request: HttpRequest, code: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    poll = PollPage.objects.live().filter(event_code=code.upper()[:12]).first()
    if poll is None:
        raise Http404(_("No event vote has this code."))
    if not _device_key(request, poll):
        return redirect("polls:event_entry")
    box = actions.box_of(poll)
    voted = ballots.has_voted(box, _device_key(request, poll) or "")
    return render(
        request,
        "polls/event_phone.html",
        {
            "poll": poll,
            "page": poll,
            "questions": _questions(poll),
            "voted": voted,
            "error": error,
            "state": actions.state_of(poll),
        },
        status=status,
    )


def log_json_for_api(poll: PollPage) -> dict[str, Any] | None:
    log = getattr(actions.box_of(poll), "published_log", None)
    return json.loads(log.json_text) if log else None
