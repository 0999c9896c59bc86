from django.urls import path

from members import language
from members import views

app_name = "members"

urlpatterns = [
    path("me/", views.member_home_view, name="home"),
    path("me/profile/", views.profile_edit_view, name="profile_edit"),
    path("me/my-data/", views.data_download_view, name="data_download"),
    path("me/delete/", views.account_delete_view, name="account_delete"),
    path("me/messages/<int:pk>/", views.message_view, name="message"),
    # The footer's language switcher, for visitors and members alike.
    path("language/", language.language_switch_view, name="language"),
    path("directory/", views.directory_list_view, name="directory"),
    path("directory/<int:pk>/", views.directory_profile_view, name="directory_profile"),
    path("directory/<int:pk>/contact/", views.directory_contact_view, name="directory_contact"),
]
