"""Who reaches the back office, and how.

- The admin has no login page of its own: `/admin/login/` sends visitors to allauth's login, so
  staff go through the same stages as everyone else, including the TOTP code once set up.
- A signed-in member (not staff) who opens the admin gets a plain "no access" page, never a login
  form that would bounce them back and forth.
- Every staff account must have an authenticator app (TOTP) before it reaches any admin page; until
  then `StaffMFARequiredMiddleware` sends it to allauth's TOTP set-up page. Once an authenticator
  exists, allauth asks for its code at every login, so its existence is what this gate checks.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _


def staff_has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def admin_login_view(request, extra_context=None):
    """Replaces `admin.site.login`."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if request.user.is_authenticated and not request.user.is_staff:
        return render(request, "backoffice/no_access.html", status=403)
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


class StaffMFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        admin_prefix = reverse("admin:index")
        user = request.user
        if (
            request.path.startswith(admin_prefix)
            and user.is_authenticated
            and user.is_staff
            and user.is_active
            and not request.path.startswith(reverse("admin:logout"))
            and not staff_has_mfa(user)
        ):
            messages.warning(
                request,
                _(
                    "Staff accounts need two-factor authentication. Set up an authenticator app "
                    "to continue to the back office."
                ),
            )
            setup_url = reverse("mfa_activate_totp")
            return HttpResponseRedirect(f"{setup_url}?{urlencode({'next': request.path})}")
        return self.get_response(request)
