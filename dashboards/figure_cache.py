"""The team page's figures and targets, rendered once and kept in the ``pages`` cache until the
rollups behind them change: the key holds the organisation's rollup version, which every
rollup write raises in its own transaction (``kpis.versions``), so a cached part never shows a
figure that a write has since changed.

The key also holds everything else the parts show: the team, the kind of period, the
language, today (the running period), the organisation's time zone and minimum of responses,
the team's targets and the themes' names (both change without a rollup write), what the
viewer may do there (edit targets, propose ideas) and the templates' own text. The parts are
rendered without the request: nothing of one person (their name, CSRF token, messages) can
be in them."""

import hashlib

from django.core.cache import caches
from django.template.loader import get_template, render_to_string
from django.utils import translation

from dashboards import figures
from kpis import versions
from organisations import clock
from programmes import targets as target_engine
from programmes.models import Target

CACHE = "pages"
SECONDS = 24 * 60 * 60  # the key changes with every rollup write; this only frees memory
FIGURES_TEMPLATE = "dashboards/partials/team_figures.html"
TARGETS_TEMPLATE = "dashboards/partials/team_targets.html"
TEMPLATES = (FIGURES_TEMPLATE, TARGETS_TEMPLATE, "programmes/partials/target_card.html")


def team_parts(organisation, team, kind, *, themes, can_manage, can_propose_idea) -> dict:
    """{"figures": html, "targets": html} of the team's page for this kind of period: from the
    cache, or rendered and cached. Three queries when cached (the rollup version, first; the
    team's targets; and ``themes``, which the caller has read), a few more when not."""
    generation = versions.current(organisation)  # before any figure is read: see kpis.versions
    team_targets = list(target_engine.targets_in_scope(organisation, team))
    today = clock.local_today(organisation)
    key = _key(
        organisation.pk,
        generation,
        team.pk,
        kind,
        translation.get_language(),
        today,
        organisation.time_zone,
        organisation.min_responses,
        organisation.name,
        team.name,
        team.slug,
        [_fields(target) for target in team_targets],
        sorted((theme.pk, theme.name) for theme in themes),
        bool(can_manage),
        bool(can_propose_idea),
    )
    cache = caches[CACHE]
    parts = cache.get(key)
    if parts is None:
        parts = _render(organisation, team, kind, team_targets, today, can_manage, can_propose_idea)
        cache.set(key, parts, SECONDS)
    return parts


def _render(organisation, team, kind, team_targets, today, can_manage, can_propose_idea):
    progress = target_engine.progress(organisation, team, targets=team_targets, today=today)
    for row in progress:
        row.can_edit = can_manage  # a team's targets are set by whoever manages the team
    context = {
        "team": team,
        "organisation": organisation,
        "kind": kind,
        "periods": figures.period_switch(kind),
        "targets": progress,
        "can_manage": can_manage,
        "can_propose_idea": can_propose_idea,
        "figures": figures.figures(
            organisation, team, kind, targets=[row.as_json() for row in progress]
        ),
    }
    return {
        "figures": render_to_string(FIGURES_TEMPLATE, context),
        "targets": render_to_string(TARGETS_TEMPLATE, context),
    }


def _fields(target) -> tuple:
    """Every stored value of a target: any change to it is a new key."""
    return tuple(getattr(target, field.attname) for field in Target._meta.concrete_fields)


def _key(*parts) -> str:
    digest = hashlib.sha256(repr((_templates(), parts)).encode()).hexdigest()
    return f"team-parts:{parts[0]}:{digest}"


def _templates() -> str:
    """The parts' templates as they are now (the loader keeps them), so that a deploy or an
    edit that changes them is a new key."""
    return "\0".join(get_template(name).template.source for name in TEMPLATES)
