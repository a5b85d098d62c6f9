from django.urls import path, re_path

from . import views

app_name = "polls"

urlpatterns = [
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.json", views.results_json, name="results_json"),
    path("<int:pk>/results.csv", views.results_csv, name="results_csv"),
    re_path(r"^(?P<pk>\d+)/ballots\.(?P<fmt>csv|json)$", views.ballot_log, name="log"),
    path("<int:pk>/projector/", views.projector, name="projector"),
    path("<int:pk>/manage/", views.manage, name="manage"),
]

urlpatterns += [
    path("event/", views.event_entry, name="event_entry"),
    path("event/<str:code>/", views.event_phone, name="event_phone"),
]
