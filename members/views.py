from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@login_required
@require_GET
def member_home_view(request):
    participant = getattr(request.user, "participant", None)
    return render(request, "members/member_home.html", {"participant": participant})
