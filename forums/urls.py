from django.urls import path

from . import views

app_name = "forums"

urlpatterns = [
    path("", views.forum_index, name="index"),
    path("search/", views.search, name="search"),
    path("forum/<int:forum_pk>/new/", views.new_thread, name="new_thread"),
    path("threads/<int:pk>/", views.thread_page, name="thread"),
    path("threads/<int:pk>/reply/", views.reply, name="reply"),
    path("threads/<int:pk>/follow/", views.follow_thread, name="follow"),
    path("threads/<int:pk>/moderate/", views.moderate_thread, name="moderate"),
    path("posts/<int:pk>/", views.post_link, name="post"),
    path("posts/<int:pk>/edit/", views.edit_post, name="edit_post"),
    path("posts/<int:pk>/delete/", views.delete_post, name="delete_post"),
    path("posts/<int:pk>/like/", views.like_post, name="like_post"),
]
