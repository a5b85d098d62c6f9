"""Verification stories: a register, access letters, a desk; reuse, guessing, revocation;
and the eligibility rules that polls and budgets ask."""

import pytest
from django.urls import reverse

from accounts import actions
from accounts import verification as vf
from accounts.models import (
    AccessCode,
    Notification,
    RegisterEntry,
    Verification,
    VerificationAudit,
)
from tests.factories import CityAdminFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = (
    "document_number,date_of_birth,postcode,district,year_of_birth,stakeholder_group\n"
    "AB-123456,1990-04-23,10115,North,1990,resident\n"
    "XY 999 000,2011-01-02,10117,South,2011,\n"
)


@pytest.fixture
def admin():
    return CityAdminFactory()


@pytest.fixture
def register(admin):
    stored, problems = actions.do_upload_register(
        admin,
        REGISTER,
        keep=["district", "year_of_birth", "stakeholder_group"],
        batch="2026",
    )
    assert (stored, problems) == (2, [])


def test_the_register_keeps_only_keyed_hashes_and_chosen_attributes(admin):
    actions.do_upload_register(admin, REGISTER, keep=["district"], batch="2026")
    rows = list(RegisterEntry.objects.values())
    assert len(rows) == 2
    dumped = repr(rows)
    for secret in ("AB-123456", "123456", "1990-04-23", "10115", "999"):
        assert secret not in dumped
    assert {r["district"] for r in rows} == {"North", "South"}
    assert {r["birth_year"] for r in rows} == {None}  # not chosen, not kept
    assert VerificationAudit.objects.filter(kind="register_uploaded").count() == 1


def test_a_register_with_a_bad_line_is_refused_whole(admin):
    stored, problems = actions.do_upload_register(
        admin,
        "document_number,date_of_birth,postcode\nA1,1990-01-01,1\nB2,,2\n",
        keep=[],
        batch="x",
    )
    assert stored == 0
    assert "Line 3" in problems[0]
    assert not RegisterEntry.objects.exists()


def test_resident_verifies_with_register_details_typed_differently(register, client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:verify"),
        {
            "path": "register",
            "register-document_number": "ab123456",
            "register-date_of_birth": "23.04.1990",
            "register-postcode": " 10115 ",
        },
    )
    assert response.status_code == 302
    verification = Verification.objects.get(user=user)
    assert (verification.method, verification.district, verification.birth_year) == (
        "register",
        "North",
        1990,
    )
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Resident register" in page


def test_wrong_details_are_refused_saying_what_to_check(register, client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:verify"),
        {
            "path": "register",
            "register-document_number": "AB123457",
            "register-date_of_birth": "1990-04-23",
            "register-postcode": "10115",
        },
    )
    assert response.status_code == 400
    assert "do not match the register" in response.content.decode()
    assert not Verification.objects.exists()
    assert VerificationAudit.objects.filter(kind="failed", subject=user).count() == 1


def test_one_register_entry_verifies_one_account_and_staff_are_told(register, admin):
    details = {
        "document_number": "AB123456",
        "date_of_birth": "1990-04-23",
        "postcode": "10115",
    }
    first, second = UserFactory(), UserFactory()
    actions.do_verify_by_register(first, details)
    with pytest.raises(actions.VerificationReused, match="already been used"):
        actions.do_verify_by_register(second, details)
    assert not Verification.objects.filter(user=second).exists()
    assert VerificationAudit.objects.filter(
        kind="reuse_refused", subject=second
    ).exists()
    assert Notification.objects.filter(
        recipient=admin, kind="verification.reuse"
    ).exists()


def test_access_codes_are_stored_hashed_and_verify_once(admin, client):
    codes = actions.do_generate_access_codes(
        admin, district="North", count=3, batch="letters"
    )
    assert len(set(codes)) == 3
    stored = set(AccessCode.objects.values_list("code_hash", flat=True))
    assert all(code not in stored for code in codes)
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:verify"),
        {"path": "code", "code-code": codes[0].lower().replace("-", " ")},
    )
    assert response.status_code == 302
    assert Verification.objects.get(user=user).district == "North"
    other = UserFactory()
    client.force_login(other)
    response = client.post(
        reverse("accounts:verify"), {"path": "code", "code-code": codes[0]}
    )
    assert response.status_code == 400
    assert "already been used" in response.content.decode()


def test_the_printable_sheet_shows_codes_once(admin, client):
    client.force_login(admin)
    response = client.post(
        reverse("accounts:verification_codes"),
        {"batch": "b", "district": "East", "count": 4, "output": "sheet"},
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="access-code"') == 4
    response = client.post(
        reverse("accounts:verification_codes"),
        {"batch": "b", "district": "East", "count": 2, "output": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode().strip().splitlines()) == 3
    assert AccessCode.objects.count() == 6


def test_guessing_is_rate_limited_per_account(admin, client):
    actions.do_generate_access_codes(admin, district="", count=1, batch="b")
    client.force_login(UserFactory())
    statuses = [
        client.post(
            reverse("accounts:verify"), {"path": "code", "code-code": f"AAAA-{i:04}"}
        ).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    assert VerificationAudit.objects.filter(kind="failed").count() == 5


def test_guessing_is_rate_limited_per_ip_across_accounts(admin, client, settings):
    settings.AGORA_RATE_LIMITS = {"verification_failure_ip": "3/h"}
    statuses = []
    for i in range(4):
        client.force_login(UserFactory())
        statuses.append(
            client.post(
                reverse("accounts:verify"),
                {"path": "code", "code-code": f"AAAA-{i:04}"},
            ).status_code
        )
    assert statuses == [400, 400, 400, 429]


def test_desk_verification_needs_a_note_and_staff(admin):
    person = UserFactory()
    with pytest.raises(vf.VerificationError, match="Write a note"):
        actions.do_verify_at_desk(admin, person, note=" ")
    with pytest.raises(actions.PermissionDenied):
        actions.do_verify_at_desk(UserFactory(), person, note="passport")
    actions.do_verify_at_desk(
        admin,
        person,
        note="passport seen",
        district="West",
        birth_year=1950,
        stakeholder_group="business",
    )
    entry = VerificationAudit.objects.get(kind="verified", subject=person)
    assert entry.actor == admin and entry.detail == "passport seen"


def test_revocation_ends_eligibility_and_is_audited(admin, client):
    person = UserFactory()
    actions.do_verify_at_desk(admin, person, note="id card")
    assert vf.is_eligible(person, vf.Eligibility())
    client.force_login(admin)
    response = client.post(
        reverse("accounts:verification_revoke"),
        {"email": person.email, "reason": "moved away"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    vf.forget_cached_verification(person)
    with pytest.raises(vf.NotEligible, match="Only verified residents"):
        vf.check_eligible(person, vf.Eligibility())
    assert VerificationAudit.objects.filter(kind="revoked", subject=person).exists()


def test_residents_cannot_reach_staff_pages(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:verification_staff")).status_code == 403
    response = client.post(
        reverse("accounts:verification_codes"),
        {"batch": "b", "district": "", "count": 4, "output": "csv"},
    )
    assert response.status_code == 403
    assert not AccessCode.objects.exists()


@pytest.mark.parametrize(
    ("rules", "attrs", "reason"),
    [
        (vf.Eligibility(), None, "Only verified residents"),
        (
            vf.Eligibility(districts=("North",)),
            {"district": "South"},
            "verified in South",
        ),
        (vf.Eligibility(districts=("North",)), {}, "does not say where you live"),
        (vf.Eligibility(min_age=16), {"birth_year": 2020}, "aged 16 or over"),
        (vf.Eligibility(min_age=16), {}, "does not include your year of birth"),
        (
            vf.Eligibility(stakeholder_groups=("business",)),
            {"stakeholder_group": "resident"},
            "stakeholder groups: Business",
        ),
    ],
)
def test_each_eligibility_rule_refuses_with_its_reason(admin, rules, attrs, reason):
    person = UserFactory()
    if attrs is not None:
        actions.do_verify_at_desk(admin, person, note="seen", **attrs)
    with pytest.raises(vf.NotEligible, match=reason):
        vf.check_eligible(person, rules)


def test_any_account_rule_and_a_matching_resident(admin):
    person = UserFactory()
    assert vf.check_eligible(person, vf.Eligibility(verified_only=False)) is None
    actions.do_verify_at_desk(
        admin,
        person,
        note="seen",
        district="North",
        birth_year=1980,
        stakeholder_group="academia",
    )
    rules = vf.Eligibility(
        districts=("North",), min_age=18, stakeholder_groups=("academia",)
    )
    assert vf.check_eligible(person, rules).district == "North"
    assert vf.eligible_count(rules) == 1
