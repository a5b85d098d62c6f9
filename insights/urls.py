from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaign/<int:campaign_pk>/", views.campaign_reports, name="campaign"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/print/", views.report_print, name="print"),
    path("reports/<int:pk>/ideas.csv", views.report_csv, name="csv"),
    path("reports/<int:pk>/report.json", views.report_json, name="json"),
    path(
        "reports/<int:pk>/clusters/<int:number>/",
        views.cluster_ideas,
        name="cluster",
    ),
]
