from django.urls import path

from . import verification_views, views

app_name = "accounts"

urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/avatar/", views.change_avatar, name="avatar"),
    path("me/privacy/", views.privacy, name="privacy"),
    path("me/privacy/export/", views.export_data, name="export"),
    path("me/privacy/delete/", views.delete_account, name="delete"),
    path("me/notifications/", views.notifications, name="notifications"),
    path(
        "me/notifications/read/",
        views.mark_notifications_read,
        name="notifications_read",
    ),
    path("me/verify/", verification_views.verify, name="verify"),
    path(
        "verification/staff/",
        verification_views.staff_home,
        name="verification_staff",
    ),
    path(
        "verification/staff/register/",
        verification_views.staff_upload,
        name="verification_upload",
    ),
    path(
        "verification/staff/codes/",
        verification_views.staff_codes,
        name="verification_codes",
    ),
    path(
        "verification/staff/desk/",
        verification_views.staff_desk,
        name="verification_desk",
    ),
    path(
        "verification/staff/revoke/",
        verification_views.staff_revoke,
        name="verification_revoke",
    ),
    path("people/<int:pk>/", views.person, name="person"),
]
