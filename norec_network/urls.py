from django.conf import settings
from django.contrib import admin
from django.urls import include
from django.urls import path

from norec_network import views

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
    path("privacy/", views.privacy_notice_view, name="privacy"),
    path("", views.home_view, name="home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
