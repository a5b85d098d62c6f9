"""Residents' moderation pages: flag, appeal, the public log."""

from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("flag/<int:ct_id>/<int:pk>/", views.flag_content, name="flag"),
    path("appeal/<int:ct_id>/<int:pk>/", views.appeal_content, name="appeal"),
    path("log/", views.public_log, name="public_log"),
]
