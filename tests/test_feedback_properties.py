"""Property-based tests (hypothesis): whatever rows reach the API and whatever files reach the
importer, the answer is a success or a clear refusal (a 4xx with a message, or row errors), never
a 500 or an exception, and never a partial write.

Hypothesis runs every example of a test in the same database transaction, so each example
counts the stored rows before and after itself instead of assuming an empty table.
"""

import csv
import datetime as dt
import io
import zipfile

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from feedback.imports import import_file
from feedback.models import Interaction, Response
from feedback.privacy import redact
from feedback.rows import INTERACTION_COLUMNS, RESPONSE_COLUMNS, clean_text


def fuzz(max_examples):
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # nothing written into the working tree
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


MODELS = {"responses": Response, "interactions": Interaction}
# Naive on purpose: a time without an offset is read on the organisation's clock.
NOW = dt.datetime.now()
# Longer than Python's limit for turning digit strings into numbers (4,300 digits).
MANY_DIGITS = "9" * 4301
LONE_SURROGATE = "\ud800"

# --- Values of every JSON type, and per column a mix of good and bad ones ---------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2),  # lone surrogates
    st.text(st.sampled_from(list(",;\"'\n\r\t\\\x00\ufeff .:-T+Z")), max_size=12),
)

teams = st.one_of(
    st.sampled_from(["alpha", "beta", "gamma"]),
    st.sampled_from(["elsewhere", "ALPHA", " alpha ", "", "nope", "x" * 500]),
    odd_text,
    json_values,
)
scores = st.one_of(
    st.integers(0, 10),
    st.integers(0, 10).map(str),
    st.integers(-3, 14),
    st.integers(),
    st.floats(),
    st.sampled_from([" 7 ", "07", "7.0", "zeven", "", "٣", "+5", "1e1", "10.5", MANY_DIGITS]),
    odd_text,
    json_values,
)
good_moments = st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=NOW - dt.timedelta(days=1))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
good_times = st.one_of(
    good_moments.map(dt.datetime.isoformat),
    good_moments.map(lambda m: m.isoformat(sep=" ", timespec="minutes")),
    good_moments.map(lambda m: m.date().isoformat()),
    good_moments.map(lambda m: m.isoformat() + "Z"),
    st.builds(lambda m, tz: m.replace(tzinfo=tz).isoformat(), good_moments, offsets),
)
time_texts = st.one_of(
    good_times,
    st.datetimes().map(dt.datetime.isoformat),  # any year from 1 to 9999
    st.builds(lambda m, tz: m.replace(tzinfo=tz).isoformat(), st.datetimes(), offsets),
    st.sampled_from(
        [
            "yesterday",
            "2026-02-30",
            "2026-13-01",
            "31-03-2026",
            "2026-03-31 25:00",
            "1999-12-31T23:59",
            "2999-01-01",
            "0001-01-01T00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "2026-03-29T02:30",  # does not exist in Amsterdam
            "",
            "  ",
        ]
    ),
)
times = st.one_of(time_texts, odd_text, json_values)
comments = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["x" * 5000, "x" * 5001, "é" * 5000, "Bel 0612345678 of jan@example.org", "\\.\n\\N\t"]
    ),
    odd_text,
    json_values,
)
customer_refs = st.one_of(
    st.text(max_size=30), st.sampled_from(["x" * 200, "x" * 201]), odd_text, json_values
)
external_ids = st.one_of(
    st.none(),
    # A small pool, so ids repeat within a request and across examples.
    st.sampled_from(["e1", "e2", "e3", " e1 ", ""]),
    st.text(max_size=12),
    st.sampled_from(["x" * 100, "x" * 101]),
    st.integers(),
    odd_text,
    json_values,
)
is_errors = st.one_of(
    st.booleans(),
    st.sampled_from(["ja", "nee", "yes", "no", "1", "0", " TRUE ", "x", "", "maybe", "2"]),
    st.integers(),
    st.floats(),
    odd_text,
    json_values,
)
extra_fields = st.dictionaries(
    st.text(max_size=10).filter(lambda key: key not in RESPONSE_COLUMNS + INTERACTION_COLUMNS),
    json_values,
    max_size=2,
)


def rows_of(required, optional, good_required, good_optional):
    """Lists of rows: mostly good ones (so that requests succeed too), mixed with rows that
    lack fields, carry bad values or extra fields, and values that are not rows at all."""
    good = st.fixed_dictionaries(good_required, optional=good_optional)
    anything = st.builds(
        lambda row, extra: extra | row,
        st.one_of(
            st.fixed_dictionaries(required, optional=optional),
            st.fixed_dictionaries({}, optional=required | optional),
        ),
        st.one_of(st.just({}), extra_fields),
    )
    return st.one_of(
        st.lists(good, min_size=1, max_size=6),
        st.lists(st.one_of(good, good, anything, json_values), max_size=6),
    )


response_rows = rows_of(
    {"team": teams, "submitted_at": times},
    {
        "score": scores,
        "comment": comments,
        "customer_ref": customer_refs,
        "external_id": external_ids,
    },
    {"team": st.sampled_from(["alpha", "beta"]), "submitted_at": good_times},
    {
        "score": st.none() | st.integers(0, 10),
        "comment": st.text(st.characters(codec="utf-8"), min_size=1, max_size=60),
        "customer_ref": st.text(max_size=20),
        "external_id": st.none() | st.sampled_from(["e1", "e2", "e3"]) | st.uuids().map(str),
    },
).map(
    # A good row needs a score or a comment; drop the few good rows that have neither.
    lambda rows: (
        [
            row
            for row in rows
            if not isinstance(row, dict) or row.get("score") is not None or "comment" in row
        ]
        or rows
    )
)
interaction_rows = rows_of(
    {"team": teams, "occurred_at": times},
    {"customer_ref": customer_refs, "is_error": is_errors, "external_id": external_ids},
    {"team": st.sampled_from(["alpha", "beta"]), "occurred_at": good_times},
    {
        "customer_ref": st.text(max_size=20),
        "is_error": st.booleans(),
        "external_id": st.none() | st.sampled_from(["e1", "e2", "e3"]) | st.uuids().map(str),
    },
)


# --- The API ------------------------------------------------------------------------------------


def post_in_savepoint(post_rows, kind, rows=None, raw_body=None):
    # A savepoint per example: should the app raise, the next example still finds a usable
    # transaction (on PostgreSQL an error aborts it), and hypothesis reports the first error.
    with transaction.atomic():
        return post_rows(kind, rows, raw_body=raw_body)


def assert_clear_answer(response, model, before, rows=None):
    """200 with the counts of what was stored, or a 4xx with a JSON ``detail``; only a 200
    may change the table, by exactly the rows it says it created."""
    assert response.status_code == 200 or 400 <= response.status_code < 500, (
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    stored = model.objects.count() - before
    if response.status_code != 200:
        assert isinstance(body.get("detail"), str) and body["detail"], body
        assert stored == 0, f"{stored} rows written by a refused request: {body}"
        for error in body.get("errors", []):
            assert isinstance(error["message"], str) and error["message"]
            if isinstance(rows, list):
                assert 0 <= error["index"] < len(rows)
        return body
    assert stored == body["created"], body
    assert body["created"] + body["duplicates"] == body["received"]
    if isinstance(rows, list):
        assert body["received"] == len(rows)
        if all(isinstance(row, dict) and row.get("external_id") is None for row in rows):
            assert body["created"] == len(rows)  # without ids nothing is a duplicate
    return body


@fuzz(500)
@given(rows=response_rows | json_values)
@example(rows=[{"team": "alpha", "score": MANY_DIGITS, "submitted_at": "2026-01-01"}])
@example(rows=[{"team": "alpha", "customer_ref": LONE_SURROGATE, "submitted_at": "2026-01-01"}])
@example(rows=[{"team": "alpha", "comment": LONE_SURROGATE, "submitted_at": "2026-01-01"}])
def test_random_response_rows_get_a_clear_answer_and_are_stored_all_or_nothing(
    org, post_rows, rows
):
    # The explicit examples are the inputs of the regression tests below.
    before = Response.objects.count()
    response = post_in_savepoint(post_rows, "responses", rows)
    assert_clear_answer(response, Response, before, rows)


@fuzz(250)
@given(rows=interaction_rows | json_values)
@example(rows=[{"team": "alpha", "customer_ref": LONE_SURROGATE, "occurred_at": "2026-01-01"}])
def test_random_interaction_rows_get_a_clear_answer_and_are_stored_all_or_nothing(
    org, post_rows, rows
):
    # The explicit example is the input of a regression test below.
    before = Interaction.objects.count()
    response = post_in_savepoint(post_rows, "interactions", rows)
    assert_clear_answer(response, Interaction, before, rows)


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.integers(1, 3000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
    st.integers(1, 3000).map(lambda depth: ('[{"comment": ' + "[" * depth).encode()),
    st.sampled_from(
        [b"", b"null", b"NaN", b"[NaN]", b"\xef\xbb\xbf[]", b"[{}]", b"[[]]", b'"\xff"', b"[1e999]"]
    ),
)


@fuzz(300)
@given(body=raw_bodies)
@example(body=b"[" * 100_000 + b"]" * 100_000)
def test_random_request_bodies_get_a_clear_answer(org, post_rows, body):
    # The explicit example is the input of a regression test below.
    before = Response.objects.count()
    response = post_in_savepoint(post_rows, "responses", raw_body=body)
    assert_clear_answer(response, Response, before)


@fuzz(150)
@given(
    comment=st.one_of(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
        st.text(st.sampled_from(list("\\\t\n\r.N é")), min_size=1),
    )
)
@example(comment="\\.\n\\N\tslash \\ tab\t newline\r\n end")
def test_a_stored_comment_is_exactly_what_was_sent_after_redaction(org, post_rows, comment):
    # On PostgreSQL comments go in through COPY's text format, which has its own escapes.
    # Control characters (other than tab and line breaks) are dropped on the way in.
    if not clean_text(comment):
        comment += "x"
    before = Response.objects.count()
    response = post_in_savepoint(
        post_rows,
        "responses",
        [{"team": "alpha", "comment": comment[:5000], "submitted_at": "2026-01-01T10:00"}],
    )
    assert response.status_code == 200, response.json()
    assert Response.objects.count() == before + 1
    assert Response.objects.latest("pk").comment == redact(clean_text(comment[:5000]))


# --- The importer -------------------------------------------------------------------------------

cell_text = st.one_of(
    st.text(max_size=15),
    st.text(st.sampled_from(list(",;\"'\n\r\t\\\x00\ufeff abc9-:T")), max_size=10),
)
csv_cells = {
    "team": st.one_of(st.sampled_from(["alpha", "beta", "ALPHA", "nope", ""]), cell_text),
    "score": st.one_of(
        st.integers(0, 10).map(str),
        st.sampled_from(["11", "-1", "7.5", "", MANY_DIGITS]),
        cell_text,
    ),
    "comment": st.one_of(st.sampled_from(["Prima", "Lange wachttijd", "", "x" * 5001]), cell_text),
    "customer_ref": st.one_of(st.sampled_from(["C1", "", "x" * 201]), cell_text),
    "submitted_at": st.one_of(good_times, time_texts, cell_text),
    "occurred_at": st.one_of(good_times, time_texts, cell_text),
    "is_error": st.one_of(st.sampled_from(["ja", "nee", "1", "0", "", "misschien"]), cell_text),
    "external_id": st.one_of(st.sampled_from(["e1", "e2", "e3", ""]), st.uuids().map(str)),
}
good_csv_cells = csv_cells | {
    "team": st.sampled_from(["alpha", "beta"]),
    "score": st.integers(0, 10).map(str),
    "comment": st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    "customer_ref": st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10),
    "submitted_at": good_times,
    "occurred_at": good_times,
    "is_error": st.sampled_from(["ja", "nee", "true", "false", "1", "0"]),
}


@st.composite
def tables(draw, kind):
    """A header and rows of cells: sometimes all good, sometimes anything."""
    columns = RESPONSE_COLUMNS if kind == "responses" else INTERACTION_COLUMNS
    good = draw(st.booleans())
    header = draw(st.permutations(columns))
    if not good:
        header = draw(
            st.one_of(
                st.just(header),
                st.lists(
                    st.sampled_from([*columns, "Team", "SCORE", "extra", ""]),
                    max_size=8,
                    unique=draw(st.booleans()),
                ),
                st.lists(cell_text, max_size=4),
            )
        )
    cells = good_csv_cells if good else csv_cells
    rows = []
    for _ in range(draw(st.integers(1 if good else 0, 6))):
        row = [draw(cells.get(column, cell_text)) for column in header]
        if not good and draw(st.booleans()):
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(cell_text, max_size=2))
        rows.append(row)
    return [header, *rows]


@st.composite
def csv_files(draw, kind):
    table = draw(tables(kind))
    delimiter = draw(st.sampled_from([",", ";"]))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter).writerows(table)
        text = out.getvalue()
    else:  # written by hand, without quoting: delimiters and quotes in cells break rows
        text = "\n".join(delimiter.join(map(str, row)) for row in table)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 3:  # now and then bytes that are not UTF-8
        position = draw(st.integers(0, len(data)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xe9t\xe9"]))
        data = data[:position] + junk + data[position:]
    return data


def import_in_savepoint(org, kind, data, filename):
    with transaction.atomic():
        return import_file(org.organisation, kind, data, filename)


def assert_all_or_nothing(outcome, model, before):
    stored = model.objects.count() - before
    if not outcome.ok:
        assert outcome.result is None
        assert stored == 0, f"{stored} rows written by a failed import: {outcome.errors[:3]}"
        assert outcome.error_count >= 1 and outcome.errors
        for error in outcome.errors:
            assert isinstance(error.message, str) and error.message
            assert isinstance(error.row, int) and isinstance(error.field, str)
        return
    assert outcome.error_count == 0
    assert stored == outcome.result.created
    assert outcome.result.created + outcome.result.duplicates == outcome.rows_total >= 1


@fuzz(500)
@given(kind=st.sampled_from(["responses", "interactions"]), data=st.data())
@example(kind="responses", data=None)
def test_random_csv_files_are_imported_all_or_nothing(org, kind, data):
    # The explicit example is the input of a regression test below.
    if data is None:
        content = f"team,score,submitted_at\nalpha,{MANY_DIGITS},2026-01-01\n".encode()
    else:
        content = data.draw(csv_files(kind), label="file")
    model = MODELS[kind]
    before = model.objects.count()
    outcome = import_in_savepoint(org, kind, content, "upload.csv")
    assert_all_or_nothing(outcome, model, before)


xlsx_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=15),
)


@st.composite
def xlsx_files(draw, kind):
    table = draw(tables(kind))
    book = Workbook()
    sheet = book.active
    typed = draw(st.booleans())
    for number, row in enumerate(table):
        cells = [draw(xlsx_values) for _ in row] if typed and number else row
        # Cells a workbook cannot hold (control characters) are left out of the sheet.
        sheet.append(
            [
                cell.translate(dict.fromkeys(range(32))) if isinstance(cell, str) else cell
                for cell in cells
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@fuzz(60)
@given(kind=st.sampled_from(["responses", "interactions"]), data=st.data())
def test_random_xlsx_files_are_imported_all_or_nothing(org, kind, data):
    content = data.draw(xlsx_files(kind), label="workbook")
    model = MODELS[kind]
    before = model.objects.count()
    outcome = import_in_savepoint(org, kind, content, "upload.xlsx")
    assert_all_or_nothing(outcome, model, before)


# --- What the properties found, one test per bug ---------------------------------------------


def row(**fields):
    return {"team": "alpha", "score": 5, "submitted_at": "2026-01-01T10:00"} | fields


def test_a_score_of_thousands_of_digits_gets_a_row_error_not_a_500(org, post_rows):
    # Regression: a score of more than 4,300 digits made int() raise, a 500.
    response = post_rows("responses", [row(score=MANY_DIGITS)])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "score", "message": "Must be a whole number from 0 to 10."}
    ]
    assert not Response.objects.exists()


def test_a_file_with_a_score_of_thousands_of_digits_names_the_row(org):
    # Regression: the same through the importer left the upload's job "validating" for ever.
    data = f"team,score,submitted_at\nalpha,5,2026-01-01\nalpha,{MANY_DIGITS},2026-01-01\n"
    outcome = import_file(org.organisation, "responses", data.encode(), "scores.csv")
    assert not outcome.ok
    assert [(e.row, e.field) for e in outcome.errors] == [(3, "score")]
    assert not Response.objects.exists()


def test_a_customer_reference_with_a_lone_surrogate_gets_a_row_error_not_a_500(org, post_rows):
    # Regression: JSON may carry a lone UTF-16 surrogate, which cannot be encoded; hashing it
    # raised, a 500.
    response = post_rows("responses", [row(customer_ref=LONE_SURROGATE)])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "customer_ref"
    assert not Response.objects.exists()


def test_a_comment_with_a_lone_surrogate_gets_a_row_error_not_a_500(org, post_rows):
    # Regression: such a comment passed validation and failed only when written, a 500.
    response = post_rows("responses", [row(comment=f"Prima {LONE_SURROGATE}")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "comment"
    assert not Response.objects.exists()


def test_deeply_nested_json_gets_a_400_not_a_500(org, post_rows):
    # Regression: JSON nested deeper than the recursion limit raised RecursionError, a 500.
    response = post_rows("responses", None, raw_body="[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_body_over_the_upload_limit_gets_a_json_answer(org, post_rows):
    # Regression: a long but valid body (\u-escaped accents) hit Django's form-upload limit and
    # got an HTML 400 page instead of JSON.
    rows = [row(comment="é" * 1000, external_id=f"big{n}") for n in range(1000)]
    response = post_rows("responses", rows)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    assert response.status_code in (200, 413)
    if response.status_code == 413:
        assert response.json()["detail"]


def zip_file(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_gets_a_file_error_not_an_exception(org):
    # Regression: openpyxl raises XML errors for a damaged workbook; they escaped the importer.
    data = zip_file({"[Content_Types].xml": "not xml"})
    outcome = import_file(org.organisation, "responses", data, "feedback.xlsx")
    assert not outcome.ok
    assert "not a readable XLSX" in outcome.errors[0].message


def test_json_numbers_and_nan_are_not_taken_for_scores(org, post_rows):
    for value in (float("nan"), float("inf"), 1e300, 5.5, True):
        response = post_rows("responses", [row(score=value)])
        assert response.status_code == 400, value
        assert response.json()["errors"][0]["field"] == "score"
    assert post_rows("responses", [row(score=7.0)]).status_code == 200
    assert Response.objects.get().score == 7


def test_non_text_external_ids_and_references_are_refused(org, post_rows):
    # Regression: lists and objects were turned into their Python text and stored.
    response = post_rows("responses", [row(external_id=["a"]), row(customer_ref={"id": 1})])
    assert response.status_code == 400
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {
        (0, "external_id"),
        (1, "customer_ref"),
    }
    assert not Response.objects.exists()
