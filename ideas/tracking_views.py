"""Pages of implementation tracking: a campaign's public results, and the staff
forms that post progress and milestones (for any tracked kind, budgets' too)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.limits import limit

from . import actions
from .forms import MilestoneForm, ProgressForm
from .models import CampaignPage, Implementation
from .queries import results_context
from .tracking import is_registered, tracked_kind


def campaign_results(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """What became of the campaign's accepted ideas: progress bars, map, status filter."""
    campaign = get_object_or_404(CampaignPage.objects.live().public(), pk=campaign_pk)
    context = {
        "campaign": campaign,
        "map_tiles_url": settings.AGORA_MAP_TILES_URL,
        "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        **results_context(request, f"campaign.{campaign.pk}"),
    }
    return render(request, "ideas/campaign_results.html", context)


def _managed(request: HttpRequest, pk: int) -> Implementation:
    impl = get_object_or_404(Implementation, pk=pk)
    if not is_registered(impl.subject_kind) or not tracked_kind(
        impl.subject_kind
    ).can_read(request.user, impl.subject_id):
        raise PermissionDenied(_("This record is not available."))
    return impl


@require_POST
def post_progress(request: HttpRequest, pk: int) -> HttpResponse:
    impl = _managed(request, pk)
    back = f"{impl.get_absolute_url()}#implementation"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    actions.check_manage_implementation(request.user, impl)
    limit(request, "write")
    form = ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request, " ".join(m for errs in form.errors.values() for m in errs)
        )
        return redirect(back)
    data = form.cleaned_data
    try:
        actions.do_post_progress(
            request.user,
            impl,
            text=data["text"],
            progress=data["progress"],
            status=data["status"] or None,
            spent=data["spent"],
            photo=data["photo"],
        )
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The update is published and followers are told."))
    return redirect(back)


@require_POST
def add_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    impl = _managed(request, pk)
    back = f"{impl.get_absolute_url()}#implementation"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    actions.check_manage_implementation(request.user, impl)
    limit(request, "write")
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(m for errs in form.errors.values() for m in errs)
        )
        return redirect(back)
    try:
        actions.do_add_milestone(
            request.user, impl, form.cleaned_data["title"], form.cleaned_data["due_on"]
        )
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The milestone is added."))
    return redirect(back)
