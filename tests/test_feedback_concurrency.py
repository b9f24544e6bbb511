"""Two writers with the same external_id at the same moment: one row, no error (PostgreSQL,
where rows go in with COPY and a real second connection can wait on the first)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from feedback import ingest
from feedback.models import Response

pytestmark = pytest.mark.django_db(transaction=True)


def row(team_id):
    return {
        "team_id": team_id,
        "score": 9,
        "comment": "",
        "customer_hash": "",
        "submitted_at": timezone.now(),
        "external_id": "double-click",
    }


def test_a_concurrent_duplicate_is_skipped_not_an_error(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks on the unique index")
    first_wrote, second_started = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = ingest.store_responses(
                    org.organisation, [row(org.team_a.pk)], source="form"
                )
                first_wrote.set()
                second_started.wait(10)
                threading.Event().wait(0.5)  # the second now waits on our unique-index entry
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            first_wrote.wait(10)
            second_started.set()
            results["second"] = ingest.store_responses(
                org.organisation, [row(org.team_a.pk)], source="form"
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert (results["first"].created, results["second"].duplicates) == (1, 1)
    assert Response.objects.filter(external_id="double-click").count() == 1
