"""A team's personal invitations: how it samples its contacts (management or its lead sets
it), what its targets need (``programmes/sizing.py``) and its response rate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback.forms import SamplingForm
from feedback.models import Sampling
from kpis import read
from organisations import clock, roles
from programmes import sizing
from programmes.models import Target


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def team_invitations(request, slug):
    team = roles.get_managed_team_or_404(request.user, slug)
    sampling = Sampling.objects.filter(team=team).first() or Sampling(team=team)
    form = SamplingForm(request.POST or None, instance=sampling)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        if saved.mode == Sampling.Mode.SIZED:
            sizing.write_down(team)
        messages.success(request, _("How %(team)s invites is saved.") % {"team": team.name})
        return redirect("dashboards:team_invitations", slug=team.slug)
    organisation = team.organisation
    sized = sizing.size(team)
    targets = {t.pk: t for t in Target.objects.for_team(team)}
    needs = [(need, targets.get(need.target_id)) for need in sized.needs]
    quarter = read.series(organisation, team=team, kind=clock.QUARTER, last=2)
    context = {
        "team": team,
        "form": form,
        "sampling": sampling,
        "sizing": sized,
        "needs": needs,
        "rate_percent": round(100 * sized.response_rate),
        "share_percent": None if sized.share is None else round(100 * sized.share),
        "quarters": quarter,
    }
    return render(
        request, "dashboards/team_invitations.html", context, status=400 if form.errors else 200
    )
