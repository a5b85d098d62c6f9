from django.urls import path

from . import views

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
    path("people/<int:pk>/", views.person, name="person"),
]
