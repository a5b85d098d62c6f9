"""Pages of verification: the resident's own (register details or an access code)
and the city staff's (register upload, access letters, desk, revocation, audit)."""

import contextlib
import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import actions
from . import verification as vf
from .forms import (
    AccessCodeForm,
    AccessCodesForm,
    DeskVerificationForm,
    RegisterCheckForm,
    RegisterUploadForm,
    RevokeVerificationForm,
)
from .limits import RateLimited, limit
from .models import User, Verification, VerificationAudit


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _check_failure_limits(request: HttpRequest) -> None:
    limit(request, "verification_failure", key="user", increment=False)
    limit(request, "verification_failure_ip", key="ip", increment=False)


def _count_failure(request: HttpRequest) -> None:
    for scope, key in (
        ("verification_failure", "user"),
        ("verification_failure_ip", "ip"),
    ):
        # Over the limit: this failure still counts, the next attempt is refused.
        with contextlib.suppress(RateLimited):
            limit(request, scope, key=key)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The resident's page: status, and the two paths they can take themselves."""
    user = request.user
    register_form = RegisterCheckForm(prefix="register")
    code_form = AccessCodeForm(prefix="code")
    status = 200
    if request.method == "POST":
        limit(request, "verification")
        path = request.POST.get("path")
        form = (
            RegisterCheckForm(request.POST, prefix="register")
            if path == "register"
            else AccessCodeForm(request.POST, prefix="code")
        )
        if path == "register":
            register_form = form
        else:
            code_form = form
        if form.is_valid():
            try:
                _check_failure_limits(request)
                if path == "register":
                    actions.do_verify_by_register(
                        user, form.cleaned_data, ip=_ip(request)
                    )
                else:
                    actions.do_verify_by_access_code(
                        user, form.cleaned_data["code"], ip=_ip(request)
                    )
            except actions.VerificationFailed as error:
                _count_failure(request)
                form.add_error(None, str(error))
                status = 400
            except vf.VerificationError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                messages.success(request, _("Your account is verified. Thank you."))
                return redirect("accounts:verify")
        else:
            status = 400
    verification = vf.active_verification(user)
    return render(
        request,
        "accounts/verify.html",
        {
            "verification": verification,
            "allows": vf.what_it_allows(verification),
            "register_form": register_form,
            "code_form": code_form,
            "method_labels": vf.METHOD_LABELS,
        },
        status=status,
    )


def _staff(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied(_("Please log in."))
    actions.check_manage_verification(request.user)


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    _staff(request)
    audit = Paginator(
        VerificationAudit.objects.select_related("actor", "subject").order_by(
            "-at", "-id"
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/verification_staff.html",
        {
            "upload_form": RegisterUploadForm(),
            "codes_form": AccessCodesForm(),
            "desk_form": DeskVerificationForm(),
            "revoke_form": RevokeVerificationForm(),
            "audit": audit,
        },
    )


def _staff_page(
    request: HttpRequest, status: int = 400, **forms: object
) -> HttpResponse:
    context = {
        "upload_form": RegisterUploadForm(),
        "codes_form": AccessCodesForm(),
        "desk_form": DeskVerificationForm(),
        "revoke_form": RevokeVerificationForm(),
        "audit": Paginator(VerificationAudit.objects.none(), 50).get_page(1),
    }
    context.update(forms)
    return render(request, "accounts/verification_staff.html", context, status=status)


@login_required
def staff_upload(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if request.method != "POST":
        return redirect("accounts:verification_staff")
    limit(request, "write")
    form = RegisterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _staff_page(request, upload_form=form)
    try:
        text = form.cleaned_data["file"].read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.add_error("file", _("The file is not UTF-8 text. Save it as CSV UTF-8."))
        return _staff_page(request, upload_form=form)
    stored, problems = actions.do_upload_register(
        request.user,
        text,
        keep=form.cleaned_data["keep"],
        batch=form.cleaned_data["batch"],
    )
    if problems:
        for problem in problems[:20]:
            form.add_error(None, problem)
        if len(problems) > 20:
            form.add_error(None, _("…and %(n)s more.") % {"n": len(problems) - 20})
        return _staff_page(request, upload_form=form)
    messages.success(
        request, _("%(n)s residents added to the register (as hashes).") % {"n": stored}
    )
    return redirect("accounts:verification_staff")


@login_required
def staff_codes(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if request.method != "POST":
        return redirect("accounts:verification_staff")
    limit(request, "write")
    form = AccessCodesForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, codes_form=form)
    try:
        codes = actions.do_generate_access_codes(
            request.user,
            district=form.cleaned_data["district"],
            count=form.cleaned_data["count"],
            batch=form.cleaned_data["batch"],
        )
    except vf.VerificationError as error:
        form.add_error(None, str(error))
        return _staff_page(request, codes_form=form)
    if form.cleaned_data["output"] == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-codes.csv"'
        response["Cache-Control"] = "no-store"
        writer = csv.writer(response)
        writer.writerow(["batch", "district", "code"])
        for code in codes:
            writer.writerow(
                [form.cleaned_data["batch"], form.cleaned_data["district"], code]
            )
        return response
    response = render(
        request,
        "accounts/access_code_sheet.html",
        {"codes": codes, "district": form.cleaned_data["district"]},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def staff_desk(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if request.method != "POST":
        return redirect("accounts:verification_staff")
    limit(request, "write")
    form = DeskVerificationForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, desk_form=form)
    subject = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
    if subject is None:
        form.add_error("email", _("No account has this e-mail address."))
        return _staff_page(request, desk_form=form)
    try:
        actions.do_verify_at_desk(
            request.user,
            subject,
            note=form.cleaned_data["note"],
            district=form.cleaned_data["district"],
            birth_year=form.cleaned_data["birth_year"],
            stakeholder_group=form.cleaned_data["stakeholder_group"],
        )
    except vf.VerificationError as error:
        form.add_error(None, str(error))
        return _staff_page(request, desk_form=form)
    messages.success(request, _("%(name)s is verified.") % {"name": subject})
    return redirect("accounts:verification_staff")


@login_required
def staff_revoke(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if request.method != "POST":
        return redirect("accounts:verification_staff")
    limit(request, "write")
    form = RevokeVerificationForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, revoke_form=form)
    verification = Verification.objects.filter(
        user__email__iexact=form.cleaned_data["email"], revoked_at__isnull=True
    ).first()
    if verification is None:
        form.add_error("email", _("This account has no active verification."))
        return _staff_page(request, revoke_form=form)
    try:
        actions.do_revoke_verification(
            request.user, verification, reason=form.cleaned_data["reason"]
        )
    except vf.VerificationError as error:
        form.add_error(None, str(error))
        return _staff_page(request, revoke_form=form)
    messages.success(request, _("The verification was revoked."))
    return redirect("accounts:verification_staff")
