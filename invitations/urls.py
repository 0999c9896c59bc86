from django.urls import path

from invitations import views

app_name = "invitations"

urlpatterns = [
    # The pages the links lead to, with the token in the session rather than in the URL.
    path("accept/", views.invitation_accept_view, name="accept_form"),
    path("decline/", views.invitation_decline_view, name="decline_form"),
    # The links in the mails.
    path("accept/<str:token>/", views.invitation_accept_link_view, name="accept"),
    path("decline/<str:token>/", views.invitation_decline_link_view, name="decline"),
    path("request/", views.invitation_request_create_view, name="request"),
    path("request/sent/", views.invitation_request_done_view, name="request_done"),
]
