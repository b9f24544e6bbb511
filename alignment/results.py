"""A survey's results: the figures of every group ``suppression`` settles as safe, their change
since the previous survey, the comments of groups large enough for them, and which groups each
person may see. Results exist only once a survey has closed."""

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from alignment import batches
from alignment.models import (
    MOTIVATORS,
    NEEDS,
    AlignmentComment,
    AlignmentSurvey,
    AnswerSet,
    ValueAnswer,
)
from alignment.suppression import GROUP_SIZE_FLOOR, Group, group_tree, settle
from feedback.privacy import NAME_MARK, redact
from organisations import roles
from organisations.models import User

SCORE_KEYS = [key for key, _label in NEEDS + MOTIVATORS]


@dataclass
class Totals:
    """Sums of the answers of a set of respondents; means only where shown."""

    respondents: int = 0
    scores: dict = field(default_factory=lambda: dict.fromkeys(SCORE_KEYS, 0))
    importance: dict = field(default_factory=lambda: defaultdict(int))
    lived: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, other: "Totals") -> None:
        self.respondents += other.respondents
        for key in SCORE_KEYS:
            self.scores[key] += other.scores[key]
        for value_id, total in other.importance.items():
            self.importance[value_id] += total
        for value_id, total in other.lived.items():
            self.lived[value_id] += total


@dataclass
class ValueFigure:
    importance: float
    lived: float

    @property
    def gap(self) -> float:
        """How much more the value matters to people than they see it lived (negative: less)."""
        return self.importance - self.lived


@dataclass
class Figures:
    respondents: int
    values: dict  # value id -> ValueFigure
    scores: dict  # need or motivator -> mean


def figures_of(totals: Totals, value_ids) -> Figures:
    n = totals.respondents
    return Figures(
        respondents=n,
        values={
            value_id: ValueFigure(totals.importance[value_id] / n, totals.lived[value_id] / n)
            for value_id in value_ids
        },
        scores={key: totals.scores[key] / n for key in SCORE_KEYS},
    )


def gap(importance_scores, lived_scores) -> float:
    """The gap of one value for a group, from its answers: mean importance minus mean lived."""
    return sum(importance_scores) / len(importance_scores) - sum(lived_scores) / len(lived_scores)


def totals_per_team(survey) -> dict:
    """Sums per team id (None: answers for a team outside the survey's structure), in two
    grouped queries."""
    known = {team["id"] for team in survey.structure}
    per_team: dict = defaultdict(Totals)
    rows = (
        AnswerSet.objects.filter(survey=survey)
        .values("team_ref")
        .annotate(respondents=Count("pk"), **{key: Sum(key) for key in SCORE_KEYS})
        .order_by()
    )
    for row in rows:
        totals = Totals(row["respondents"], {key: row[key] for key in SCORE_KEYS})
        per_team[row["team_ref"] if row["team_ref"] in known else None].add(totals)
    rows = (
        ValueAnswer.objects.filter(answer_set__survey=survey)
        .values("answer_set__team_ref", "value_id")
        .annotate(importance=Sum("importance"), lived=Sum("lived"))
        .order_by()
    )
    for row in rows:
        team_ref = row["answer_set__team_ref"]
        totals = per_team[team_ref if team_ref in known else None]
        totals.importance[row["value_id"]] += row["importance"]
        totals.lived[row["value_id"]] += row["lived"]
    return per_team


@dataclass
class Results:
    survey: AlignmentSurvey
    values: list
    root: Group
    minimum: int
    comment_minimum: int
    shown: set  # keys of groups whose figures may be shown
    comments_shown: set  # keys of groups whose comments may be shown
    figures: dict  # key -> Figures, shown groups only
    previous: "Results | None" = None

    def groups(self):
        return list(self.root.walk())

    def group(self, key):
        return next((g for g in self.root.walk() if g.key == key), None)

    def change(self, key) -> "Figures | None":
        """Figures now minus figures in the previous survey, where the group is shown in both."""
        if self.previous is None or key not in self.figures or key not in self.previous.figures:
            return None
        now, before = self.figures[key], self.previous.figures[key]
        return Figures(
            respondents=now.respondents - before.respondents,
            values={
                value_id: ValueFigure(
                    figure.importance - before.values[value_id].importance,
                    figure.lived - before.values[value_id].lived,
                )
                for value_id, figure in now.values.items()
                if value_id in before.values
            },
            scores={key: now.scores[key] - before.scores[key] for key in SCORE_KEYS},
        )


def thresholds(survey) -> tuple[int, int]:
    """The survey's minimum group sizes, for figures and for comments, as when it opened."""
    minimum = max(survey.min_group_size, GROUP_SIZE_FLOOR)
    return minimum, max(survey.min_comment_group_size, minimum)


def results(survey, with_previous=True) -> Results:
    """The settled results of a survey (and of the one before it, for the change)."""
    batches.settle(survey)
    organisation = survey.organisation
    minimum, comment_minimum = thresholds(survey)
    per_team = totals_per_team(survey)
    root = group_tree(
        organisation,
        survey.structure,
        {team_id: totals.respondents for team_id, totals in per_team.items()},
    )
    shown = settle(root, minimum)
    values = list(survey.values.all())
    value_ids = [value.pk for value in values]
    figures = {}
    for group in root.walk():
        if group.key in shown:
            totals = Totals()
            for team_id in group.team_ids:
                if team_id in per_team:
                    totals.add(per_team[team_id])
            figures[group.key] = figures_of(totals, value_ids)
    result = Results(
        survey=survey,
        values=values,
        root=root,
        minimum=minimum,
        comment_minimum=comment_minimum,
        shown=shown,
        comments_shown=settle(root, comment_minimum),
        figures=figures,
    )
    if with_previous:
        before = previous_survey(survey)
        if before is not None:
            result.previous = results(before, with_previous=False)
    return result


def previous_survey(survey):
    """The last survey of the organisation that closed before this one opened."""
    earlier = (
        AlignmentSurvey.objects.in_organisation(survey.organisation)
        .filter(Q(opens_on__lt=survey.opens_on) | Q(opens_on=survey.opens_on, pk__lt=survey.pk))
        .exclude(pk=survey.pk)
    )
    return next((s for s in earlier if s.is_closed()), None)


# Heatmap colours: how far a value is from being lived as much as it matters (1–5 scale).
GAP_STEPS = [(0.25, "gap-0"), (0.75, "gap-1"), (1.25, "gap-2")]


def gap_class(gap: float) -> str:
    if gap < -GAP_STEPS[0][0]:
        return "gap-below"  # lived more than it matters to people
    return next((css for limit, css in GAP_STEPS if gap <= limit), "gap-3")


def score_class(mean: float) -> str:
    if mean < 2.5:
        return "score-low"
    return "score-mid" if mean < 3.5 else "score-high"


SHORTEST_NAME = 3  # shorter "names" (initials, "de") would blank out ordinary words


def name_pattern(organisation):
    """A pattern matching the names of the organisation's people, longest first."""
    names = set()
    for first, last, username in User.objects.in_organisation(organisation).values_list(
        "first_name", "last_name", "username"
    ):
        full = f"{first} {last}".strip()
        names.update({full, first, last, username, *last.split()})
    names = sorted((n for n in names if len(n) >= SHORTEST_NAME), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)", re.I)


def redact_comment(text: str, pattern) -> str:
    """E-mail addresses, phone numbers, IBANs and the organisation's people's names taken out."""
    text = redact(text.strip())
    return pattern.sub(NAME_MARK, text) if pattern is not None else text


def comments(result: Results, key: str) -> list[str]:
    """The comments of a group, shuffled and redacted; none below the comment minimum."""
    group = result.group(key)
    if group is None or key not in result.comments_shown:
        return []
    team_ids = {team_id for team_id in group.team_ids if team_id is not None}
    in_group = Q(team_ref__in=team_ids)
    if None in group.team_ids:
        known = {team["id"] for team in result.survey.structure}
        in_group |= Q(team_ref__isnull=True) | ~Q(team_ref__in=known)
    texts = list(
        AlignmentComment.objects.filter(in_group, survey=result.survey).values_list(
            "text", flat=True
        )
    )
    pattern = name_pattern(result.survey.organisation)
    texts = [redact_comment(text, pattern) for text in texts]
    random.shuffle(texts)
    return texts


def groups_visible_to(user, results, comments=False) -> set[str]:
    """Keys of result groups the person may see: management and HR every shown group, others
    the organisation and their own teams, or where a team is hidden the group it rolls up into.
    Always a subset of the groups settled as shown (for ``comments``: as shown with comments),
    so no view can reveal more than they do."""
    shown = results.comments_shown if comments else results.shown
    if roles.can_see_all_alignment_results(user):
        return set(shown)
    own = {f"team:{pk}" for pk in roles.own_teams(user).values_list("pk", flat=True)}
    visible = {results.root.key}

    def visit(group, shown_above):
        if group.key in own:
            if group.key in shown:
                visible.add(group.key)
            elif shown_above:
                visible.add(shown_above)
        here = group.key if group.key in shown else shown_above
        for child in group.children:
            visit(child, here)

    visit(results.root, None)
    return visible & shown
