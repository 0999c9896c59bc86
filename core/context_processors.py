from django.conf import settings


def site(request):
    return {
        "SITE_URL": settings.SITE_URL,
        "NETWORK_ADVISER_EMAIL": settings.NETWORK_ADVISER_EMAIL,
        "PRIVACY_NOTICE_VERSION": settings.PRIVACY_NOTICE_VERSION,
    }
