"""The people of Agora: accounts (e-mail login) and the notifications they receive."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .avatars import avatar_path


class UserManager(BaseUserManager["User"]):
    """Creates accounts keyed by e-mail address: Agora has no usernames."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(
        self, email: str, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


def offered_languages() -> list[tuple[str, str]]:
    """The languages the site offers (settings.LANGUAGES): only complete ones."""
    return list(settings.LANGUAGES)


def recipient_language(user: "User") -> str:
    """The language to write to someone in: theirs if the site offers it."""
    language = getattr(user, "preferred_language", "")
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class User(AbstractUser):
    """An account. Residents sign up themselves; staff roles are groups (see roles.py).

    The e-mail address is the login and stays private; the display name is what
    other residents see next to everything this person writes.
    """

    class EmailNotifications(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DAILY = "daily", _("Once a day, as a digest")
        NEVER = "never", _("Never (inbox only)")

    class StakeholderGroup(models.TextChoices):
        # Optional and self-declared: planners' reports break opinions down by it.
        RESIDENT = "resident", _("Resident")
        BUSINESS = "business", _("Business")
        ACADEMIA = "academia", _("Academia or research")
        CIVIL_SOCIETY = "civil_society", _("Civil society or association")
        GOVERNMENT = "government", _("Government or public service")

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        help_text=_("Shown next to your ideas and posts. Use any name you like."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        # A callable, so that offering a new language needs no migration.
        choices=offered_languages,
        default=settings.LANGUAGE_CODE,
    )
    email_notifications = models.CharField(
        _("e-mail me about notifications"),
        max_length=10,
        choices=EmailNotifications.choices,
        default=EmailNotifications.IMMEDIATE,
    )
    stakeholder_group = models.CharField(
        _("I take part mainly as"),
        max_length=20,
        choices=StakeholderGroup.choices,
        blank=True,
        help_text=_(
            "Optional. Planners see how many people of each group said what, "
            "never who you are."
        ),
    )

    avatar = models.ImageField(
        _("profile picture"),
        upload_to=avatar_path,
        blank=True,
        help_text=_("Optional. Without one, your initials are shown."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:person", args=[self.pk])

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One line in a person's inbox: something happened that concerns them.

    Other apps create these through accounts.actions.do_notify; the text is
    rendered when the notification is made, so the inbox costs one query.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "read_at"], name="notification_unread_idx"
            ),
            models.Index(
                fields=["recipient", "-created_at"], name="notification_inbox_idx"
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.text

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


# --- verification of residents (see accounts/verification.py) -------------------


class VerificationMethod(models.TextChoices):
    REGISTER = "register", _("Resident register")
    ACCESS_CODE = "access_code", _("Access letter")
    DESK = "desk", _("In person at a city desk")


class RegisterEntry(models.Model):
    """One eligible resident from a register the city uploaded, as a keyed hash.

    `lookup_hash` is an HMAC (server secret) of the identifying details the resident
    types; the details themselves are never stored. Only the attributes the city
    chose to keep (district, year of birth, stakeholder group) are.
    """

    batch = models.CharField(_("register"), max_length=100)
    lookup_hash = models.CharField(max_length=64, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True)
    stakeholder_group = models.CharField(
        _("stakeholder group"), max_length=20, blank=True
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")

    def __str__(self) -> str:
        return f"{self.batch} #{self.pk}"


class AccessCode(models.Model):
    """A one-time access code printed on a letter for a district (stored as an HMAC)."""

    batch = models.CharField(_("batch"), max_length=100)
    code_hash = models.CharField(max_length=64, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("access code")
        verbose_name_plural = _("access codes")

    def __str__(self) -> str:
        return f"{self.batch} #{self.pk}"


class Verification(models.Model):
    """That an account belongs to an eligible resident, how that was shown, and what
    was confirmed about them. Revoked verifications stay, as history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications"
    )
    method = models.CharField(
        _("path"), max_length=20, choices=VerificationMethod.choices
    )
    district = models.CharField(_("district"), max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True)
    stakeholder_group = models.CharField(
        _("stakeholder group"), max_length=20, blank=True
    )
    register_entry = models.ForeignKey(
        RegisterEntry, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    access_code = models.ForeignKey(
        AccessCode, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    verified_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, db_index=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revoke_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_verification_per_user",
            )
        ]
        indexes = [
            models.Index(
                fields=["district", "revoked_at"], name="verification_district_idx"
            )
        ]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.method})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class VerificationAudit(models.Model):
    """Append-only record of everything that happened on a verification path."""

    class Kind(models.TextChoices):
        REGISTER_UPLOADED = "register_uploaded", _("register uploaded")
        CODES_GENERATED = "codes_generated", _("access codes generated")
        VERIFIED = "verified", _("verified")
        FAILED = "failed", _("failed attempt")
        REUSE_REFUSED = "reuse_refused", _("second use refused")
        REVOKED = "revoked", _("revoked")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    method = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ip_hash = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("verification audit entry")
        verbose_name_plural = _("verification audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("the verification audit is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("the verification audit is append-only")
