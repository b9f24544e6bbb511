"""Navigation for the page shell, built from what the person may see."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from programmes import visibility


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or visibility.organisation_of(user) is None:
        return {"nav_items": []}
    items = [(reverse("home"), _("Home"), "home")]
    own = list(visibility.own_teams(user)[:3])
    for team in own:
        items.append((reverse("programmes:team_detail", args=[team.slug]), team.name, "team"))
    items.append((reverse("programmes:board"), _("Board"), "board"))
    items.append((reverse("programmes:programme"), _("Programme"), "programme"))
    items.append((reverse("programmes:targets"), _("Targets"), "targets"))
    items.append((reverse("ideas:list"), _("Ideas"), "ideas"))
    if visibility.can_compare_teams(user):
        items.append((reverse("feedback:compare"), _("Compare"), "compare"))
    # Everyone answers surveys and sees their own team's results; HR runs them.
    items.append((reverse("levels:alignment_home"), _("Alignment"), "alignment"))
    # Running the organisation: under one "Manage" menu, so the bar stays one line.
    manage = []
    if visibility.can_manage_people(user):
        manage.append((reverse("programmes:people"), _("People"), "people"))
    if visibility.can_manage_themes(user):
        manage.append((reverse("feedback:themes"), _("Themes"), "themes"))
    if visibility.can_import_feedback(user):
        manage.append((reverse("feedback:imports"), _("Import"), "imports"))
    if visibility.can_manage_tokens(user):
        manage.append((reverse("programmes:tokens"), _("Integrations"), "tokens"))
    if visibility.can_manage_programme(user):
        manage.append(
            (reverse("programmes:organisation_settings"), _("Settings"), "organisation_settings")
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
