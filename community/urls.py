from django.urls import path

from community import mail_views
from community import moderation_views
from community import views

app_name = "community"

urlpatterns = [
    path("", views.room_list_view, name="rooms"),
    path("search/", views.search_view, name="search"),
    path("rooms/<slug:slug>/", views.room_detail_view, name="room"),
    path("rooms/<slug:slug>/follow/", views.room_follow_view, name="follow"),
    path("rooms/<slug:slug>/leave/", views.room_leave_view, name="leave"),
    path("rooms/<slug:slug>/new-topic/", views.topic_create_view, name="topic_create"),
    path("topics/<int:pk>/", views.topic_detail_view, name="topic"),
    path("posts/<int:pk>/edit/", views.post_edit_view, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete_view, name="post_delete"),
    path("posts/<int:pk>/image/", views.post_image_view, name="post_image"),
    # Moderation, reports and branch announcements (community/moderation_views.py).
    path("moderation/", moderation_views.moderation_queue_view, name="moderation"),
    path("topics/<int:pk>/pin/", moderation_views.topic_pin_view, name="topic_pin"),
    path("posts/<int:pk>/moderate/", moderation_views.post_moderate_view, name="post_moderate"),
    path("posts/<int:pk>/report/", moderation_views.post_report_view, name="post_report"),
    path(
        "branches/<slug:slug>/announce/",
        moderation_views.announcement_create_view,
        name="announcement_create",
    ),
    path(
        "announcements/unsubscribe/<str:token>/",
        moderation_views.announcements_unsubscribe_view,
        name="announcements_unsubscribe",
    ),
    path("settings/", mail_views.mail_settings_view, name="settings"),
    path(
        "digest/unsubscribe/<str:token>/",
        mail_views.digest_unsubscribe_view,
        name="digest_unsubscribe",
    ),
]
