from django.urls import path

from . import views

app_name = "budgets"

urlpatterns = [
    path("<int:budget_id>/propose/", views.propose_project, name="propose"),
    path("<int:budget_id>/ballot/", views.cast_ballot, name="ballot"),
    path("<int:budget_id>/results/", views.results, name="results"),
    path("<int:budget_id>/publish/", views.publish_results, name="publish"),
    path("<int:budget_id>/phase/", views.change_phase, name="phase"),
    path("<int:budget_id>/convert/", views.convert_idea, name="convert"),
    path("<int:budget_id>/export.pb", views.export_pabulib, name="export"),
    path("project/<int:pk>/", views.project_detail, name="project"),
    path("project/<int:pk>/review/", views.review_project, name="review"),
    path("project/<int:pk>/follow/", views.follow_project, name="follow"),
]
