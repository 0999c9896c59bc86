"""Site-wide views: the public home page, the privacy notice and the health check."""

import logging

from celery import current_app as celery_app
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
def home_view(request):
    return render(request, "home.html")


@require_safe
def privacy_notice_view(request):
    return render(request, "privacy_notice.html")


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is what we report, not raise
        logger.warning("healthz: database check failed: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _check_broker() -> dict:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _check_workers() -> dict:
    try:
        replies = celery_app.control.ping(timeout=1.0) or []
    except Exception as exc:
        logger.warning("healthz: worker ping failed: %s", exc)
        return {"ok": False, "count": 0, "error": exc.__class__.__name__}
    names = sorted(name for reply in replies for name in reply)
    return {"ok": bool(names), "count": len(names), "names": names}


@never_cache
@require_safe
def healthz_view(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    # Without a broker there is no way to reach the workers; do not wait for a ping.
    checks["workers"] = _check_workers() if checks["broker"]["ok"] else {"ok": False, "count": 0}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
