from django.conf import settings
from django.contrib import admin
from django.urls import include
from django.urls import path

from activities import views as activity_views
from core import views

urlpatterns = [
    path("healthz", views.healthz_view, name="healthz"),
    path("anymail/", include("anymail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("members.urls")),
    path("invitations/", include("invitations.urls")),
    path("activities/", include("activities.urls")),
    path("newsletters/", include("newsletters.urls")),
    path("community/", include("community.urls")),
    path("privacy/", views.privacy_notice_view, name="privacy"),
    # Uploaded files are activity materials, for registered members only: always served through
    # the view that checks, in development as in production, never as plain files.
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:name>",
        activity_views.material_file_view,
        name="material-file",
    ),
    path("", views.home_view, name="home"),
]
