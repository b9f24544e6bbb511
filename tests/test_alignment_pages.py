"""The alignment pages in Dutch and English, with no English left on the Dutch ones."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.alignment_data import answer, close, open_survey, values
from tests.test_config_translations import english_strings


@pytest.fixture
def pages(org):
    (value,) = values(org.organisation, "Openness")
    survey = open_survey(org.organisation)
    closed = open_survey(org.organisation, title="Earlier", days_ago=40)
    for _ in range(5):
        answer(closed, org.team_a, {value: (4, 3)}, comment="Good")
        answer(closed, org.team_b, {value: (5, 2)})
    close(closed)
    return [
        ("hr", "alignment:home", []),
        ("hr", "alignment:values", []),
        ("hr", "alignment:value_edit", [value.pk]),
        ("hr", "alignment:survey_create", []),
        ("hr", "alignment:survey", [survey.pk]),
        ("hr", "alignment:survey", [closed.pk]),
        ("employee", "alignment:home", []),
        ("employee", "alignment:answer", [survey.pk]),
        ("employee", "alignment:survey", [closed.pk]),
    ]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_alignment_pages_in_both_languages(org, pages, language):
    for role, name, args in pages:
        client = Client(headers={"accept-language": language})
        client.force_login(getattr(org, role))
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert f'<html lang="{language}">' in page
        if language == "nl":
            left = [s for s in english_strings() if s in page or s.replace('"', "&quot;") in page]
            assert left == [], name


def test_alignment_overview_counts_its_queries(org, pages, django_assert_max_num_queries):
    client = Client(headers={"accept-language": "en"})
    client.force_login(org.employee)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("alignment:home")).status_code == 200
