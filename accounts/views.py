"""Pages about a person: their profile, public page, inbox, data export and deletion."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions
from .forms import AvatarForm, DeleteAccountForm, ProfileForm
from .limits import limit
from .models import User
from .roles import Role, role_names
from .verification import active_verification

NOTIFICATIONS_PER_PAGE = 30


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
        if form.is_valid():
            actions.do_update_profile(
                user, user, **{f: form.cleaned_data[f] for f in form.fields}
            )
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        messages.error(request, _("Please correct the errors below."))
    else:
        form = ProfileForm(instance=user)
    roles = [r for r in Role if r.value in role_names(user)]
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "roles": roles,
            "verification": active_verification(user),
            "avatar_form": AvatarForm(),
        },
    )


@login_required
@require_POST
def change_avatar(request: HttpRequest) -> HttpResponse:
    """Upload or remove the profile picture, then back to the profile's picture."""
    limit(request, "avatar")
    user = User.objects.get(pk=request.user.pk)
    form = AvatarForm(request.POST, request.FILES)
    upload = form.cleaned_data.get("avatar") if form.is_valid() else None
    remove = request.POST.get("remove") == "1"
    if not remove and not upload:
        messages.error(request, _("Choose a picture to upload first."))
        return redirect(f"{reverse('accounts:profile')}#avatar")
    try:
        actions.do_change_avatar(request.user, user, None if remove else upload)
    except actions.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your picture is removed.") if remove else _("Your picture is saved."),
        )
    return redirect(f"{reverse('accounts:profile')}#avatar")


def person(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident's public page: only what they chose to show (the display name)."""
    person = get_object_or_404(User.objects.filter(is_active=True), pk=pk)
    return render(request, "accounts/person.html", {"person": person})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        request.user.notifications.select_related("actor").order_by(
            "-created_at", "-id"
        ),
        NOTIFICATIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/notifications.html",
        {"page": page, "live_topic": f"user.{request.user.pk}"},
    )


@login_required
@require_POST
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    raw_ids = request.POST.getlist("notification")
    ids = [int(i) for i in raw_ids if i.isdigit()] if raw_ids else None
    count = actions.do_mark_notifications_read(request.user, ids)
    if count:
        messages.success(request, _("Marked as read."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("accounts:notifications")
    return redirect(next_url)


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/privacy.html", {"delete_form": DeleteAccountForm()}
    )


@login_required
def export_data(request: HttpRequest) -> HttpResponse:
    data = actions.export_personal_data(request.user)
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="agora-my-data-{stamp}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("accounts:privacy")
    form = DeleteAccountForm(request.POST)
    if form.is_valid():
        try:
            actions.do_delete_account(
                request.user, request.user, form.cleaned_data["password"]
            )
        except actions.AccountError as error:
            form.add_error("password", str(error))
        else:
            logout(request)
            messages.success(
                request,
                _("Your account has been deleted. Thank you for taking part."),
            )
            return redirect("/")
    return render(request, "accounts/privacy.html", {"delete_form": form}, status=400)
