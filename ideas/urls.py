from django.urls import path

from . import api, tracking_views, views

app_name = "ideas"

urlpatterns = [
    path("", views.campaign_index, name="index"),
    path("<int:pk>/", views.idea_detail, name="idea"),
    path("<int:pk>/edit/", views.edit_idea, name="edit"),
    path("<int:pk>/support/", views.support_idea, name="support"),
    path("<int:pk>/vote/", views.vote_idea, name="vote"),
    path("<int:pk>/withdraw/", views.withdraw_idea, name="withdraw"),
    path("<int:pk>/follow/", views.follow_idea, name="follow"),
    path("<int:pk>/answer/", views.answer_idea, name="answer"),
    path("campaign/<int:campaign_pk>/", views.campaign_redirect, name="campaign"),
    path("campaign/<int:campaign_pk>/propose/", views.propose_idea, name="propose"),
    path("campaign/<int:campaign_pk>/record/", views.record_idea, name="record"),
    path("campaign/<int:campaign_pk>/statements/", views.vote_deck, name="vote_deck"),
    path(
        "campaign/<int:campaign_pk>/follow/",
        views.follow_campaign,
        name="follow_campaign",
    ),
    path(
        "campaign/<int:campaign_pk>/similar/", views.similar_ideas_json, name="similar"
    ),
    path(
        "campaign/<int:campaign_pk>/results/",
        tracking_views.campaign_results,
        name="results",
    ),
    path(
        "implementation/<int:pk>/progress/",
        tracking_views.post_progress,
        name="post_progress",
    ),
    path(
        "implementation/<int:pk>/milestone/",
        tracking_views.add_milestone,
        name="add_milestone",
    ),
    path("campaign/<int:campaign_pk>/ideas.csv", api.export_csv, name="export_csv"),
    path("campaign/<int:campaign_pk>/ideas.json", api.export_json, name="export_json"),
]

api_urlpatterns = [
    path("openapi.json", api.openapi, name="api_openapi"),
    path("campaigns/", api.campaigns, name="api_campaigns"),
    path("campaigns/<int:pk>/", api.campaign, name="api_campaign"),
    path("ideas/", api.ideas, name="api_ideas"),
    path("ideas/<int:pk>/", api.idea, name="api_idea"),
]
