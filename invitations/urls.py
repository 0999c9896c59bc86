from django.urls import path

from invitations import views

app_name = "invitations"

urlpatterns = [
    path("accept/<str:token>/", views.invitation_accept_view, name="accept"),
    path("decline/<str:token>/", views.invitation_decline_view, name="decline"),
    path("request/", views.invitation_request_create_view, name="request"),
    path("request/sent/", views.invitation_request_done_view, name="request_done"),
]
