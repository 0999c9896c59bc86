from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list_view, name="list"),
    path("past/", views.activity_past_view, name="past"),
    path("mine/", views.my_activities_view, name="mine"),
    path("<int:pk>/", views.activity_detail_view, name="detail"),
    path("<int:pk>/register/", views.activity_register_view, name="register"),
    path("<int:pk>/calendar.ics", views.activity_ics_view, name="ics"),
    path(
        "registrations/<int:pk>/cancel/",
        views.registration_cancel_view,
        name="registration-cancel",
    ),
    path("calendar/new/", views.calendar_feed_create_view, name="feed-create"),
    path("calendar/revoke/", views.calendar_feed_revoke_view, name="feed-revoke"),
    path("calendar/<str:key>/<str:token>.ics", views.calendar_feed_view, name="feed"),
]
