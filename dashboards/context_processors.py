"""Navigation for the page shell, built from what the person may see."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from organisations import roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or roles.organisation_of(user) is None:
        return {"nav_items": []}
    items = [(reverse("home"), _("Home"), "home")]
    own = list(roles.own_teams(user)[:3])
    for team in own:
        items.append((reverse("dashboards:team_detail", args=[team.slug]), team.name, "team"))
    items.append((reverse("dashboards:board"), _("Board"), "board"))
    items.append((reverse("dashboards:programme"), _("Programme"), "programme"))
    items.append((reverse("programmes:targets"), _("Targets"), "targets"))
    items.append((reverse("ideas:list"), _("Ideas"), "ideas"))
    if not roles.is_hr(user):  # HR reads no customer comments, so no follow-ups
        items.append((reverse("followups:list"), _("Follow-ups"), "followups"))
    if roles.can_compare_teams(user):
        items.append((reverse("dashboards:compare"), _("Compare"), "compare"))
    # Everyone answers surveys and sees their own team's results; HR runs them.
    items.append((reverse("alignment:home"), _("Alignment"), "alignment"))
    # Running the organisation: under one "Manage" menu, so the bar stays one line.
    manage = []
    if roles.can_manage_people(user):
        manage.append((reverse("organisations:people"), _("People"), "people"))
    if roles.can_manage_themes(user):
        manage.append((reverse("feedback:themes"), _("Themes"), "themes"))
    if roles.can_import_feedback(user):
        manage.append((reverse("feedback:imports"), _("Import"), "imports"))
    if roles.can_manage_tokens(user):
        manage.append((reverse("organisations:tokens"), _("Integrations"), "tokens"))
    if roles.can_manage_programme(user):
        manage.append(
            (reverse("organisations:organisation_settings"), _("Settings"), "organisation_settings")
        )
    current = request.path

    def entries(pairs):
        return [
            {"url": url, "label": label, "kind": kind, "current": url == current}
            for url, label, kind in pairs
        ]

    manage_items = entries(manage)
    return {
        "nav_items": entries(items),
        "manage_items": manage_items,
        "manage_current": any(item["current"] for item in manage_items),
    }


def source_code(request):
    """The footer's link to the source, as the AGPL asks of a network service."""
    return {"source_url": settings.SOURCE_URL}
