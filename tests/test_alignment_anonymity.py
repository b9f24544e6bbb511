"""Attempts to learn one person's alignment answers, each of which must fail: through a small
team, the comment filter, differencing two shown figures, watching figures while a survey is
open, the export, the API, the Django admin and the tables an HR user could look at."""

import csv
import io
import itertools
import uuid

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from alignment import batches, results
from alignment.models import AlignmentComment, AnswerSet, Participant, QueuedAnswer, ValueAnswer
from organisations.models import User
from tests.alignment_data import answer, close, open_survey, values
from tests.factories import UserFactory

# Beta's five colleagues are unremarkable; Alpha's two answer in a way anybody would recognise.
ORDINARY, TELLTALE = (4, 3), (1, 5)


@pytest.fixture
def small_team_survey(org):
    """Alpha (2 answers) and Beta (6) in Service; Gamma (no department) none. Minimum 5."""
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    answer(survey, org.team_a, {value: TELLTALE}, person=org.employee, energy=1)
    answer(survey, org.team_a, {value: TELLTALE}, person=org.lead, energy=1)
    for _ in range(6):
        answer(survey, org.team_b, {value: ORDINARY}, energy=4)
    survey.value = value
    return survey


def page(client, survey, **params):
    return client.get(reverse("alignment:survey", args=[survey.pk]), params)


def shown_groups(response):
    return {row["group"].key: row for row in response.context["rows"] if row["shown"]}


def test_while_a_survey_is_open_nobody_sees_figures_that_move_with_each_answer(
    login, org, small_team_survey
):
    for person in (org.hr, org.manager, org.employee_b):
        response = page(login(person), small_team_survey)
        assert response.status_code == 200
        assert "rows" not in response.context
        assert "Results appear when it closes" in response.content.decode()


def test_a_small_team_is_never_shown_and_the_team_beside_it_is_hidden_too(
    login, org, small_team_survey
):
    survey = close(small_team_survey)
    response = page(login(org.hr), survey)
    shown = shown_groups(response)
    service = f"department:{org.team_a.department_id}"
    assert set(shown) == {"organisation", service}
    assert shown[service]["respondents"] == 8
    html = response.content.decode()
    assert "fewer than 5 answers" in html  # Alpha
    assert "hidden so that a smaller group cannot be worked out" in html  # Beta


def test_no_difference_of_shown_figures_leaves_fewer_than_the_minimum(
    login, org, small_team_survey
):
    """Everything HR is shown, subtracted in every way the nesting of groups allows."""
    survey = close(small_team_survey)
    result = results.results(survey)
    shown = shown_groups(page(login(org.hr), survey))
    groups = {key: result.group(key) for key in shown}
    for outer_key, outer in groups.items():
        inner = [g for key, g in groups.items() if key != outer_key and g.team_ids < outer.team_ids]
        for g in inner:
            left = shown[outer_key]["respondents"] - shown[g.key]["respondents"]
            assert left == 0 or left >= result.minimum, (outer_key, g.key)
        largest = [g for g in inner if not any(g.team_ids < other.team_ids for other in inner)]
        left = shown[outer_key]["respondents"] - sum(shown[g.key]["respondents"] for g in largest)
        assert left == 0 or left >= result.minimum, outer_key


def test_the_telltale_answers_appear_nowhere_on_the_page_or_in_the_export(
    login, org, small_team_survey
):
    survey = close(small_team_survey)
    client = login(org.hr)
    html = page(client, survey).content.decode()
    export = client.get(reverse("alignment:export", args=[survey.pk])).content.decode()
    for text in (html, export):
        assert "−4.0" not in text and "-4.0" not in text  # Alpha's gap: 1 − 5
        assert "1.0 / 5.0" not in text
    assert "Alpha" not in export and "Beta" not in export


def test_the_export_has_exactly_the_groups_the_page_shows(login, org, small_team_survey):
    survey = close(small_team_survey)
    client = login(org.hr)
    labels = {row["group"].label for row in shown_groups(page(client, survey)).values()}
    export = client.get(reverse("alignment:export", args=[survey.pk]))
    lines = list(csv.reader(io.StringIO(export.content.decode().lstrip("\ufeff"))))
    assert {line[0] for line in lines[1:]} == labels
    assert [line[1] for line in lines[1:]] == ["8", "8"]


def test_employees_may_not_export(login, org, small_team_survey):
    survey = close(small_team_survey)
    for person in (org.employee, org.lead):
        url = reverse("alignment:export", args=[survey.pk])
        assert login(person).get(url).status_code == 403


def test_an_employee_sees_only_the_organisation_and_where_their_hidden_team_counts(
    login, org, small_team_survey
):
    survey = close(small_team_survey)
    response = page(login(org.employee), survey)
    service = f"department:{org.team_a.department_id}"
    assert {row["group"].key for row in response.context["rows"]} == {"organisation", service}
    html = response.content.decode()
    assert "Too few people of Alpha answered" in html
    assert "Beta</th>" not in html


def test_an_employee_of_another_team_does_not_see_a_team_they_are_not_in(login, org):
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    for _ in range(5):
        answer(survey, org.team_a, {value: ORDINARY})
        answer(survey, org.team_b, {value: ORDINARY})
    response = page(login(org.employee_b), close(survey))
    keys = {row["group"].key for row in response.context["rows"]}
    assert f"team:{org.team_b.pk}" in keys and f"team:{org.team_a.pk}" not in keys


@pytest.mark.parametrize(
    "params",
    [
        {"group": "team:{alpha}"},
        {"group": "team:{beta}"},
        {"team": "alpha"},
        {"group": "organisation", "minimum": "1"},
    ],
)
def test_filters_in_the_address_reveal_nothing_more(login, org, small_team_survey, params):
    survey = close(small_team_survey)
    client = login(org.hr)
    plain = shown_groups(page(client, survey))
    params = {
        key: value.format(alpha=org.team_a.pk, beta=org.team_b.pk) for key, value in params.items()
    }
    response = page(client, survey, **params)
    assert shown_groups(response).keys() == plain.keys()
    assert response.context["comments"] == []  # nobody reaches the comment minimum of 8


def test_comments_only_for_groups_reaching_the_comment_minimum_and_never_a_smaller_one(login, org):
    (value,) = values(org.organisation, "Openness")
    UserFactory(organisation=org.organisation, first_name="Wilhelmina", last_name="Pietersen")
    survey = open_survey(org.organisation)
    answer(survey, org.team_a, {value: TELLTALE}, comment="Only Alpha says this")
    answer(survey, org.team_a, {value: TELLTALE})
    for n in range(8):
        answer(survey, org.team_b, {value: ORDINARY}, comment=f"Beta remark {n}")
    answer(
        survey,
        org.team_b,
        {value: ORDINARY},
        comment="Ask wilhelmina pietersen, mail w.p@example.org or call 06 12345678",
    )
    survey = close(survey)
    result = results.results(survey)
    # Beta (9) reaches 8, but beside Service (11) it would single out Alpha's comments.
    assert result.comments_shown == {"organisation", f"department:{org.team_a.department_id}"}
    client = login(org.hr)
    beta = page(client, survey, group=f"team:{org.team_b.pk}")
    assert beta.context["comments"] == []
    whole = page(client, survey, group="organisation").context["comments"]
    assert len(whole) == 10 and "Only Alpha says this" in whole
    redacted = next(text for text in whole if text.startswith("Ask"))
    assert redacted == "Ask ⟦name⟧, mail ⟦email⟧ or call ⟦phone⟧"
    assert "Wilhelmina" not in AlignmentComment.objects.get(text__startswith="Ask").text


def test_comments_are_not_kept_in_the_order_they_were_given(org):
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    for n in range(12):
        answer(survey, org.team_b, {value: ORDINARY}, comment=f"remark {n:02}")
    result = results.results(close(survey))
    orders = {tuple(results.comments(result, "organisation")) for _ in range(5)}
    assert len(orders) > 1  # shuffled on every reading
    stored = list(AlignmentComment.objects.values_list("text", flat=True).order_by("pk"))
    assert stored != sorted(stored)  # random keys: key order is not answering order


# --- The data itself ----------------------------------------------------------------------


ANSWER_MODELS = [AnswerSet, ValueAnswer, AlignmentComment]


@pytest.mark.parametrize("model", ANSWER_MODELS)
def test_answer_tables_have_no_person_no_time_and_a_random_key(model):
    for field in model._meta.get_fields():
        assert getattr(field, "related_model", None) is not User, field
        assert not isinstance(field, models.DateField | models.DateTimeField), field
    assert isinstance(model._meta.pk, models.UUIDField)
    assert model._meta.pk.default is uuid.uuid4


def test_who_answered_is_kept_apart_from_the_answers_and_only_by_date():
    links = {
        field.related_model
        for field in Participant._meta.get_fields()
        if field.is_relation and field.related_model
    }
    assert links.isdisjoint(ANSWER_MODELS)
    for model in ANSWER_MODELS:
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert Participant not in related
    times = [f for f in Participant._meta.get_fields() if isinstance(f, models.DateTimeField)]
    assert times == []


def test_an_answer_given_through_the_form_stores_no_trace_of_the_person(login, org):
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    form = {f"importance_{value.pk}": 5, f"lived_{value.pk}": 2, "team": org.team_a.pk}
    form |= dict.fromkeys(results.SCORE_KEYS, 4) | {"comment": "Fine"}
    response = login(org.employee).post(reverse("alignment:answer", args=[survey.pk]), form)
    assert response.status_code == 302
    queued = QueuedAnswer.objects.values().get()
    assert set(queued) == {"id", "survey_id", "answers"}
    assert set(queued["answers"]) == {"team_ref", "scores", "values", "comment"}
    batches.settle(close(survey))
    stored = AnswerSet.objects.values().get()
    assert set(stored) == {"id", "survey_id", "team_ref", *results.SCORE_KEYS}
    assert stored["team_ref"] == org.team_a.pk and stored["identity"] == 4
    assert Participant.objects.get(survey=survey, person=org.employee).has_answered


def test_no_answer_model_is_in_the_admin(client, org):
    for model in [*ANSWER_MODELS, Participant]:
        assert not admin.site.is_registered(model)
    superuser = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(superuser)
    for name in ("answerset", "valueanswer", "alignmentcomment", "participant"):
        assert client.get(f"/admin/levels/{name}/").status_code == 404


def test_the_api_has_no_alignment_endpoint(client, org, api_token):
    schema = client.get("/api/v1/openapi.json").content.decode().lower()
    for word in ("alignment", "answerset", "valueanswer", "participant", "importance"):
        assert word not in schema
    auth = {"authorization": f"Bearer {api_token}"}
    for path in ("alignment", "alignment/surveys", "answers", "surveys/1/answers"):
        assert client.get(f"/api/v1/{path}", headers=auth).status_code == 404


def test_another_organisation_sees_nothing_of_our_surveys(login, org, small_team_survey):
    survey = close(small_team_survey)
    client = login(org.other_manager)
    assert page(client, survey).status_code == 404
    url = reverse("alignment:export", args=[survey.pk])
    assert client.get(url).status_code == 404
    assert "Round 1" not in client.get(reverse("alignment:home")).content.decode()


def test_changing_settings_or_teams_later_gives_no_second_view_to_compare(
    login, org, small_team_survey
):
    """A second, differently hidden view of the same answers could be set beside the first:
    the survey keeps its thresholds and its teams as they were when it opened."""
    survey = close(small_team_survey)
    before = results.results(survey)
    org.organisation.min_group_size = 3
    org.organisation.save()
    org.team_a.department = None  # Alpha moves out of Service
    org.team_a.save()
    org.team_b.delete()  # Beta is removed
    after = results.results(AnswerSet.objects.first().survey)
    assert after.shown == before.shown
    assert after.figures == before.figures


def test_answers_for_a_team_outside_the_survey_count_only_in_other(org):
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation, teams=[org.team_b])
    for _ in range(5):
        answer(survey, org.team_b, {value: ORDINARY})
    answer(survey, org.team_a, {value: TELLTALE})  # Alpha was not asked
    result = results.results(close(survey))
    assert result.root.size == 6
    assert result.group("other").direct == 1
    # Beta (5) beside the organisation (6) would give that one answer away: only the total.
    assert result.shown == {"organisation"}


def test_answers_wait_in_a_queue_and_are_written_in_batches_with_new_keys(org):
    """No transaction both marks a person as having answered and writes their answers: they
    wait in a queue (without the person) and are written with others in random order."""
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    for pair in (ORDINARY, TELLTALE, ORDINARY, ORDINARY):
        answer(survey, org.team_a, {value: pair}, comment="said")
    assert QueuedAnswer.objects.count() == 4 and not AnswerSet.objects.exists()
    assert batches.write_batch(survey.pk) == 0  # fewer than the minimum group size wait
    queued_keys = set(QueuedAnswer.objects.values_list("pk", flat=True))
    answer(survey, org.team_a, {value: TELLTALE})
    assert batches.write_batch(survey.pk) == 5
    assert not QueuedAnswer.objects.exists()
    assert set(AnswerSet.objects.values_list("pk", flat=True)).isdisjoint(queued_keys)
    assert AlignmentComment.objects.count() == 4
    pairs = sorted(ValueAnswer.objects.values_list("importance", "lived"))
    assert pairs == sorted([ORDINARY] * 3 + [TELLTALE] * 2)
    assert Participant.objects.filter(survey=survey, has_answered=True).count() == 5


def heap_versions(cursor, table) -> list:
    """Every row version PostgreSQL keeps in ``table``'s pages, live or dead, read with
    pageinspect: (xmin, xmax) of each."""
    cursor.execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table])
    (pages,) = cursor.fetchone()
    versions = []
    for page in range(pages):
        cursor.execute(
            "SELECT t_xmin::text, t_xmax::text FROM heap_page_items(get_raw_page(%s, %s))"
            " WHERE lp_flags = 1",
            [table, page],
        )
        versions += cursor.fetchall()
    return versions


@pytest.mark.django_db(transaction=True)
def test_after_closing_and_vacuum_no_row_version_ties_an_answer_to_a_person():
    """The threat model's database reader: after the survey has closed and the answer tables
    are vacuumed, no row version in them (live or dead, read from the pages themselves with
    pageinspect) comes from a transaction that touched a participant's row."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pageinspect is PostgreSQL's")
    from tests.factories import OrganisationFactory, TeamFactory

    organisation = OrganisationFactory()
    team = TeamFactory(organisation=organisation)
    (value,) = values(organisation, "Openness")
    survey = open_survey(organisation)
    for number in range(7):  # each in transactions of its own; five make a batch at once
        answer(survey, team, {value: (number % 5 + 1, 3)}, comment=f"comment {number}")
    assert AnswerSet.objects.count() == 5 and QueuedAnswer.objects.count() == 2
    close(survey)
    batches.settle_closed_surveys()  # the last batch, then the vacuum
    survey.refresh_from_db()
    assert survey.vacuumed_at is not None
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        participants = heap_versions(cursor, "alignment_participant")
        person_transactions = {xid for version in participants for xid in version} - {"0"}
        assert person_transactions
        for table in batches.ANSWER_TABLES:
            versions = heap_versions(cursor, table)
            answer_transactions = {xid for version in versions for xid in version} - {"0"}
            assert answer_transactions.isdisjoint(person_transactions), table
        # No dead version is left: the pages hold exactly the live rows.
        assert len(heap_versions(cursor, "alignment_answerset")) == AnswerSet.objects.count() == 7
        assert heap_versions(cursor, "alignment_queuedanswer") == []


def test_an_employee_whose_team_is_hidden_beside_a_small_one_is_told_why(
    login, org, small_team_survey
):
    html = page(login(org.employee_b), close(small_team_survey)).content.decode()
    assert "Beta is not shown on its own" in html
    assert "Too few people of Beta" not in html


def test_differencing_fails_on_a_larger_organisation_too(login, org):
    """Service: Alpha 2, Beta 6, Delta 7; Sales: Sigma 5, Tau 9; no department: Gamma 6, Eps 2."""
    from tests.factories import DepartmentFactory, TeamFactory

    (value,) = values(org.organisation, "Openness")
    sales = DepartmentFactory(organisation=org.organisation, name="Sales")
    delta = TeamFactory(organisation=org.organisation, department=org.team_a.department)
    sigma = TeamFactory(organisation=org.organisation, department=sales)
    tau = TeamFactory(organisation=org.organisation, department=sales)
    eps = TeamFactory(organisation=org.organisation)
    survey = open_survey(org.organisation)
    sizes = {org.team_a: 2, org.team_b: 6, delta: 7, sigma: 5, tau: 9, org.team_c: 6, eps: 2}
    for team, n in sizes.items():
        for _ in range(n):
            answer(survey, team, {value: ORDINARY})
    survey = close(survey)
    result = results.results(survey)
    rows = shown_groups(page(login(org.hr), survey))
    assert len(rows) >= 4  # something useful is still shown
    assert f"team:{org.team_a.pk}" not in rows and f"team:{eps.pk}" not in rows
    groups = [result.group(key) for key in rows]
    # Every way of taking shown groups inside a shown group away from it leaves none or enough.
    for outer in groups:
        inner = [g for g in groups if g.team_ids < outer.team_ids]
        for count in range(1, len(inner) + 1):
            for chosen in itertools.combinations(inner, count):
                teams = [g.team_ids for g in chosen]
                if any(a & b for a, b in itertools.combinations(teams, 2)):
                    continue  # overlapping parts: not a subtraction of disjoint groups
                left = rows[outer.key]["respondents"] - sum(
                    rows[g.key]["respondents"] for g in chosen
                )
                assert left == 0 or left >= result.minimum, (outer.key, [g.key for g in chosen])
