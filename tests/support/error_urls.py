"""The project's URLs plus views that fail on purpose, so tests reach Django's real error handlers
(`@pytest.mark.urls("tests.support.error_urls")`)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.urls import path

from norec_network.urls import urlpatterns as project_urlpatterns


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("a request the site cannot make sense of")


def _broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("test-errors/403/", _forbidden),
    path("test-errors/400/", _suspicious),
    path("test-errors/500/", _broken),
    *project_urlpatterns,
]
