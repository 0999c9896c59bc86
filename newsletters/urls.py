from django.urls import path

from newsletters import views

app_name = "newsletters"

urlpatterns = [
    path("", views.newsletter_archive_view, name="archive"),
    path("<int:pk>/", views.newsletter_detail_view, name="detail"),
    path("<int:pk>/<str:language>/", views.newsletter_detail_view, name="detail_language"),
    path("unsubscribe/<str:token>/", views.newsletter_unsubscribe_view, name="unsubscribe"),
]
