from django.urls import path

from newsletters import views

app_name = "newsletters"

urlpatterns = [
    path("", views.newsletter_archive_view, name="archive"),
    path("<int:pk>/", views.newsletter_detail_view, name="detail"),
    path("unsubscribe/<str:token>/", views.newsletter_unsubscribe_view, name="unsubscribe"),
]
