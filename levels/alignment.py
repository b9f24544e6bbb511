"""Alignment results: figures per group, shown only where no person's answers can be worked out.

Groups form a tree: the organisation, its departments ("other teams" holds the teams without
one) and the teams. A group's figures are shown only when it has at least the minimum number of
respondents, *and* no difference of shown groups leaves a smaller one: for every shown group, the
respondents it has beyond its largest shown subgroups (its *residue*) are none or at least the
minimum. Because the groups nest, every figure that can be computed from the shown ones is a sum
over such residues, so no group smaller than the minimum can be isolated (see ``settle``).

Every page, the export and every role's view draw from the one set of groups settled here.
"""

import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from feedback.privacy import redact
from feedback.tasks import send
from levels import tasks
from levels.alignment_models import (
    MOTIVATORS,
    NEEDS,
    AlignmentComment,
    AlignmentSurvey,
    AnswerSet,
    Participant,
    Value,
    ValueAnswer,
)
from programmes.models import Team, User

ORGANISATION, DEPARTMENT, OTHER, TEAM = "organisation", "department", "other", "team"
ORGANISATION_KEY, OTHER_KEY = "organisation", "other"
# Below this nobody is protected, whatever an organisation's setting says.
GROUP_SIZE_FLOOR = 3
SCORE_KEYS = [key for key, _label in NEEDS + MOTIVATORS]


@dataclass(eq=False)
class Group:
    key: str
    label: str
    kind: str
    # Respondents counted in this group but in none of its children (answers for a team that
    # was not among the survey's teams when it opened).
    direct: int = 0
    children: list["Group"] = field(default_factory=list)
    team_ids: set = field(default_factory=set)
    size: int = 0
    depth: int = 0

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def count_sizes(group: Group) -> int:
    group.size = group.direct + sum(count_sizes(child) for child in group.children)
    return group.size


def settle(root: Group, minimum: int) -> set[str]:
    """The keys of the groups whose figures may be shown (sizes must be counted first).

    Bottom-up: a group is shown when it has ``minimum`` respondents; then, while the
    respondents it has beyond its shown subgroups are more than none but fewer than
    ``minimum``, the smallest of those subgroups is hidden too (complementary suppression).
    Hiding a subgroup only changes the residue of groups above it, which are settled later.
    """
    minimum = max(minimum, 1)
    shown: set[str] = set()

    def largest_shown_below(group):
        for child in group.children:
            if child.key in shown:
                yield child
            else:
                yield from largest_shown_below(child)

    def residue(group) -> int:
        return group.size - sum(below.size for below in largest_shown_below(group))

    def visit(group):
        for child in group.children:
            visit(child)
        if group.size < minimum:
            return  # every group below is smaller still, so nothing below is shown either
        shown.add(group.key)
        while 0 < residue(group) < minimum:
            smallest = min(largest_shown_below(group), key=lambda g: (g.size, g.key))
            shown.discard(smallest.key)

    visit(root)
    return shown


# --- Figures ------------------------------------------------------------------------------


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


def structure_of(teams) -> list[dict]:
    """The teams with their departments as they are now, to keep with a survey."""
    return [
        {
            "id": team.pk,
            "name": team.name,
            "department_id": team.department_id,
            "department": team.department.name if team.department else None,
        }
        for team in teams
    ]


def group_tree(organisation, structure, respondents_per_team: dict) -> Group:
    """Organisation → departments (and "other teams") → teams, with their sizes counted.

    ``structure`` is a survey's teams as kept when it opened (``structure_of``);
    ``respondents_per_team`` maps team ids (None: a team outside the structure) to counts.
    """
    root = Group(ORGANISATION_KEY, organisation.name, ORGANISATION)
    departments: dict = {}
    other = Group(OTHER_KEY, str(_("Other teams")), OTHER)
    order = sorted(structure, key=lambda t: (t["department"] is None, t["department"], t["name"]))
    for team in order:
        node = Group(f"team:{team['id']}", team["name"], TEAM, team_ids={team["id"]})
        node.direct = respondents_per_team.get(team["id"], 0)
        if team["department_id"] is None:
            parent = other
        else:
            parent = departments.get(team["department_id"])
            if parent is None:
                parent = departments[team["department_id"]] = Group(
                    f"department:{team['department_id']}", team["department"], DEPARTMENT
                )
                root.children.append(parent)
        parent.children.append(node)
    other.direct = respondents_per_team.get(None, 0)
    if other.children or other.direct:
        root.children.append(other)
    for group in root.children:
        group.team_ids = {team_id for child in group.children for team_id in child.team_ids}
    other.team_ids.add(None)
    root.team_ids = {team_id for group in root.children for team_id in group.team_ids}
    for group in root.walk():
        for child in group.children:
            child.depth = group.depth + 1
    count_sizes(root)
    return root


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


# --- Comments -----------------------------------------------------------------------------

NAME_MARK = "[name]"
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


# --- Opening a survey and answering it ------------------------------------------------------


def open_survey(*, organisation, title, opens_on, closes_on, teams) -> AlignmentSurvey:
    """A new survey about every current value, with an invitation for each person in scope
    (``teams`` empty: the whole organisation). Invitations go out from a worker once committed."""
    with transaction.atomic():
        scope = list(teams or organisation.teams.all())
        survey = AlignmentSurvey.objects.create(
            organisation=organisation,
            title=title,
            opens_on=opens_on,
            closes_on=closes_on,
            min_group_size=organisation.min_group_size,
            min_comment_group_size=organisation.min_comment_group_size,
            structure=structure_of(
                Team.objects.filter(pk__in=[team.pk for team in scope]).select_related("department")
            ),
        )
        survey.teams.set(teams)
        survey.values.set(Value.objects.filter(organisation=organisation))
        people = (
            User.objects.in_organisation(organisation)
            .filter(is_active=True, memberships__team__in=scope)
            .distinct()
        )
        Participant.objects.bulk_create(
            Participant(survey=survey, person=person) for person in people
        )
    transaction.on_commit(lambda: send(tasks.send_alignment_invitations, survey.pk))
    return survey


def answering_teams(person, survey):
    """The teams a person can answer for: their own teams among the survey's."""
    teams = Team.objects.in_organisation(survey.organisation).with_member(person)
    return teams.filter(pk__in=[team["id"] for team in survey.structure])


class AlreadyAnswered(Exception):
    pass


def store_answers(*, participant, team, value_scores, scores, comment) -> None:
    """Store one person's answers without them, and separately that they answered.

    ``value_scores`` maps value ids to (importance, lived); ``scores`` the needs and motivators.
    The answer rows get random keys and no time; and every answer of the team is written
    again, in random order, in the same transaction (see ``_rewrite_in_random_order``).
    """
    with transaction.atomic():
        # One answer at a time per survey, so the rewrite below never copies a stale set.
        AlignmentSurvey.objects.select_for_update().filter(pk=participant.survey_id).first()
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.has_answered:
            raise AlreadyAnswered
        survey = locked.survey
        team_ref = team.pk if team else None
        answer_set = AnswerSet.objects.create(survey=survey, team_ref=team_ref, **scores)
        ValueAnswer.objects.bulk_create(
            ValueAnswer(answer_set=answer_set, value_id=value_id, importance=imp, lived=lived)
            for value_id, (imp, lived) in value_scores.items()
        )
        comment = redact_comment(comment or "", name_pattern(survey.organisation))
        if comment:
            AlignmentComment.objects.create(survey=survey, team_ref=team_ref, text=comment)
        _rewrite_in_random_order(survey, team_ref)
        Participant.objects.filter(pk=locked.pk).update(has_answered=True)


def _rewrite_in_random_order(survey, team_ref) -> None:
    """Write all of a team's answers again, shuffled, with new random keys.

    The database itself keeps traces a table's columns do not show: the order rows were
    written in, and (PostgreSQL's ``xmin``) the transaction that wrote them, which is also the
    one that marked the person as having answered. After this, every answer of the team comes
    from the latest answer's transaction, in an order that says nothing.
    """
    shuffle = random.SystemRandom().shuffle
    in_team = {"survey": survey, "team_ref": team_ref}
    sets = list(AnswerSet.objects.filter(**in_team).values())
    scores = list(
        ValueAnswer.objects.filter(answer_set__survey=survey, answer_set__team_ref=team_ref).values(
            "answer_set_id", "value_id", "importance", "lived"
        )
    )
    texts = list(AlignmentComment.objects.filter(**in_team).values_list("text", flat=True))
    AnswerSet.objects.filter(**in_team).delete()  # and their value answers
    AlignmentComment.objects.filter(**in_team).delete()
    new_key = {row["id"]: uuid.uuid4() for row in sets}
    for rows in (sets, scores, texts):
        shuffle(rows)
    AnswerSet.objects.bulk_create(AnswerSet(**row | {"id": new_key[row["id"]]}) for row in sets)
    ValueAnswer.objects.bulk_create(
        ValueAnswer(**row | {"answer_set_id": new_key[row["answer_set_id"]]}) for row in scores
    )
    AlignmentComment.objects.bulk_create(AlignmentComment(text=text, **in_team) for text in texts)
