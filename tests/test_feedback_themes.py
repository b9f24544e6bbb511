"""Themes: comments are tagged on ingest by keywords found at the start of a word, in any case;
managers keep the themes on /themes/, and every change re-tags the comments already stored."""

import datetime as dt

import pytest
from django.utils import timezone

from feedback.imports import import_file
from feedback.models import Response, Theme
from feedback.themes import ThemeMatcher, organisations_owed_a_retag, retag_organisation


def theme(organisation, name, keywords):
    return Theme.objects.create(organisation=organisation, name=name, keywords=keywords)


def comment_row(comment, external_id, team="alpha"):
    return {
        "team": team,
        "score": 6,
        "comment": comment,
        "submitted_at": "2026-03-02T10:00:00",
        "external_id": external_id,
    }


def themes_of(external_id):
    return set(Response.objects.get(external_id=external_id).themes.values_list("name", flat=True))


def all_tags(organisation):
    """{external_id: {theme name, …}} of every stored comment of the organisation."""
    tags = {}
    for external_id, name in Response.objects.filter(organisation=organisation).values_list(
        "external_id", "themes__name"
    ):
        tags.setdefault(external_id, set())
        if name is not None:
            tags[external_id].add(name)
    return tags


@pytest.fixture
def waiting(org):
    return theme(org.organisation, "Wachttijd", "wachttijd, lang gewacht")


@pytest.mark.parametrize(
    ("comment", "tagged"),
    [
        ("De wachttijd was te lang", True),
        ("WACHTTIJD!", True),
        ("Wachttijden aan de telefoon zijn absurd", True),  # the keyword starts a longer word
        ("Lange-wachttijd bij de balie", True),  # a hyphen starts a new word
        ("(wachttijd) 20 minuten", True),
        ("Ik heb lang gewacht op antwoord", True),  # a phrase
        ("Ik heb LANG GEWACHT", True),
        ("Overwachttijd bestaat niet", False),  # inside a word is no match
        ("De wacht tijd", False),
        ("Ik heb lang op antwoord gewacht", False),  # the words of a phrase, but not together
        ("Vriendelijk geholpen", False),
        ("", False),
    ],
)
def test_a_comment_is_tagged_on_ingest_by_a_keyword_at_the_start_of_a_word(
    org, post_rows, waiting, comment, tagged
):
    row = comment_row(comment, "r1")
    response = post_rows("responses", [row])
    assert response.status_code == 200, response.json()
    assert themes_of("r1") == ({"Wachttijd"} if tagged else set())


def test_keywords_match_whatever_the_case_on_either_side(org, post_rows):
    theme(org.organisation, "Straat", "STRASSE")
    theme(org.organisation, "Bereikbaarheid", "Bereikbaar")
    rows = [
        comment_row("Geparkeerd in de straße", "r1"),
        comment_row("slecht BEREIKBAAR per telefoon", "r2"),
    ]
    assert post_rows("responses", rows).status_code == 200
    assert themes_of("r1") == {"Straat"}
    assert themes_of("r2") == {"Bereikbaarheid"}


def test_one_comment_can_have_several_themes(org, post_rows, waiting):
    theme(org.organisation, "Vriendelijkheid", "vriendelijk, onvriendelijk, beleefd")
    theme(org.organisation, "Prijs", "duur, prijs")
    rows = [
        comment_row("Lange wachttijd en een onvriendelijke medewerker", "both"),
        comment_row("Beleefd, maar de prijs is hoog en ik heb lang gewacht", "three"),
    ]
    assert post_rows("responses", rows).status_code == 200
    assert themes_of("both") == {"Wachttijd", "Vriendelijkheid"}
    assert themes_of("three") == {"Wachttijd", "Vriendelijkheid", "Prijs"}


def test_comments_about_nothing_in_the_themes_get_no_theme(org, post_rows, waiting):
    rows = [
        comment_row("Prima geholpen, dank je", "r1"),
        {"team": "alpha", "score": 10, "submitted_at": "2026-03-02", "external_id": "r2"},
    ]
    assert post_rows("responses", rows).status_code == 200
    assert themes_of("r1") == set() and themes_of("r2") == set()


def test_a_batch_mixing_tagged_and_plain_comments_keeps_each_rows_own_themes(org, post_rows):
    # On PostgreSQL tagged and plain rows go in through separate COPYs with reserved ids:
    # every row must still end up with its own themes, not a neighbour's.
    theme(org.organisation, "Wachttijd", "wachttijd")
    theme(org.organisation, "Prijs", "prijs")
    comments = {
        f"r{n}": ["Prima", "Wachttijd lang", "Hoge prijs", "Prijs en wachttijd", ""][n % 5]
        for n in range(40)
    }
    rows = [comment_row(text, key) for key, text in comments.items()]
    assert post_rows("responses", rows).json()["created"] == 40
    expected = {
        "Prima": set(),
        "Wachttijd lang": {"Wachttijd"},
        "Hoge prijs": {"Prijs"},
        "Prijs en wachttijd": {"Wachttijd", "Prijs"},
        "": set(),
    }
    assert all_tags(org.organisation) == {key: expected[text] for key, text in comments.items()}
    for key, text in comments.items():
        assert Response.objects.get(external_id=key).comment == text


def test_imported_comments_are_tagged_too(org, waiting):
    data = (
        b"team;score;comment;submitted_at;external_id\n"
        b"alpha;4;Wachttijden te lang;2026-03-01 10:00;i1\n"
        b"beta;9;Snel geholpen;2026-03-01 11:00;i2\n"
    )
    outcome = import_file(org.organisation, "responses", data, "feedback.csv")
    assert outcome.ok, outcome.errors
    assert themes_of("i1") == {"Wachttijd"}
    assert themes_of("i2") == set()


def test_another_organisations_themes_never_tag_our_comments(org, post_rows):
    theirs = theme(org.other, "Wachttijd", "wachttijd")
    assert post_rows("responses", [comment_row("Wachttijd!", "ours")]).status_code == 200
    assert themes_of("ours") == set()
    retag_organisation(org.other)
    retag_organisation(org.organisation)
    assert themes_of("ours") == set()
    assert not theirs.responses.exists()


def test_retagging_one_organisation_leaves_the_others_tags_alone(org, post_rows):
    from organisations.models import IntegrationToken

    theirs = theme(org.other, "Wachttijd", "wachttijd")
    their_token = IntegrationToken.issue(organisation=org.other, name="Theirs")[1]
    row = comment_row("wachttijd", "theirs", team="elsewhere")
    assert post_rows("responses", [row], token=their_token).status_code == 200
    theme(org.organisation, "Prijs", "prijs")
    retag_organisation(org.organisation, batch_size=1)
    assert list(theirs.responses.values_list("external_id", flat=True)) == ["theirs"]


# --- Retagging ----------------------------------------------------------------------------------

COMMENTS = [
    "Lange wachttijd",
    "Wachttijden bij de kassa, en duur",
    "Te duur",
    "Vriendelijk personeel",
    "Onvriendelijk en lang gewacht",
    "Niets bijzonders",
    "prijs/kwaliteit prima",
]


def test_retagging_in_small_batches_gives_the_same_tags_as_tagging_from_scratch(org, post_rows):
    # Comments stored before any theme existed: untagged.
    before = [comment_row(COMMENTS[n % len(COMMENTS)], f"old{n}") for n in range(23)]
    before += [comment_row("", f"old-empty{n}") | {"score": 8} for n in range(3)]
    assert post_rows("responses", before).status_code == 200
    theme(org.organisation, "Wachttijd", "wachttijd, lang gewacht")
    theme(org.organisation, "Prijs", "duur, prijs")
    theme(org.organisation, "Vriendelijkheid", "vriendelijk, onvriendelijk")
    # A stale tag that no keyword supports: retagging must take it away.
    stale = theme(org.organisation, "Oud", "zzzz")
    for response in Response.objects.exclude(comment=""):
        response.themes.add(stale)

    tagged = retag_organisation(org.organisation, batch_size=4)

    # The same comments stored now, tagged on ingest.
    after = [comment_row(COMMENTS[n % len(COMMENTS)], f"new{n}") for n in range(23)]
    assert post_rows("responses", after).status_code == 200
    tags = all_tags(org.organisation)
    for n in range(23):
        assert tags[f"old{n}"] == tags[f"new{n}"], COMMENTS[n % len(COMMENTS)]
    assert all(tags[f"old-empty{n}"] == set() for n in range(3))
    assert not stale.responses.exists()
    assert tagged == sum(1 for n in range(23) if tags[f"old{n}"])
    assert tags["old0"] == {"Wachttijd"}
    assert tags["old1"] == {"Wachttijd", "Prijs"}
    assert tags["old4"] == {"Wachttijd", "Vriendelijkheid"}


def test_retagging_twice_changes_nothing(org, post_rows):
    rows = [comment_row(COMMENTS[n % len(COMMENTS)], f"r{n}") for n in range(10)]
    assert post_rows("responses", rows).status_code == 200
    theme(org.organisation, "Prijs", "duur, prijs")
    first = retag_organisation(org.organisation, batch_size=3)
    tags = all_tags(org.organisation)
    assert retag_organisation(org.organisation, batch_size=7) == first
    assert all_tags(org.organisation) == tags


def test_the_matcher_ignores_themes_without_keywords(org):
    empty = Theme(pk=1, organisation=org.organisation, name="Leeg", keywords=" , ,")
    matcher = ThemeMatcher([empty])
    assert not matcher
    assert matcher.match("wat dan ook") == []


# --- The themes page -----------------------------------------------------------------------------


@pytest.fixture
def stored_comments(org, post_rows):
    rows = [
        comment_row("De wachttijd was lang", "wait"),
        comment_row("Slecht bereikbaar, lange wachttijd", "both"),
        comment_row("Telefonisch niet bereikbaar", "reach"),
        comment_row("Prima", "none"),
    ]
    assert post_rows("responses", rows).status_code == 200


def test_a_manager_adds_a_theme_and_existing_comments_are_tagged(
    client, org, stored_comments, django_capture_on_commit_callbacks
):
    client.force_login(org.manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/themes/", {"name": "Wachttijd", "keywords": "wachttijd"})
    assert response.status_code == 302 and response["Location"] == "/themes/"
    # The retagging task, enqueued once the theme is committed; the re-tag, run in-process
    # here, then announces the days whose theme counts it changed.
    assert [callback.__qualname__.split(".")[0] for callback in callbacks] == [
        "_retag_after_commit",
        "announce_after_commit",
    ]
    assert themes_of("wait") == themes_of("both") == {"Wachttijd"}
    assert themes_of("reach") == themes_of("none") == set()
    page = client.get("/themes/").content.decode()
    assert "Theme “Wachttijd” is added." in page


def test_a_manager_edits_a_theme_and_comments_are_tagged_again(
    client, org, stored_comments, waiting, django_capture_on_commit_callbacks
):
    retag_organisation(org.organisation)
    assert themes_of("wait") == {"Wachttijd"}
    client.force_login(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/themes/{waiting.pk}/", {"name": "Bereikbaarheid", "keywords": "bereikbaar"}
        )
    assert response.status_code == 302
    assert themes_of("wait") == set()
    assert themes_of("both") == themes_of("reach") == {"Bereikbaarheid"}
    assert Theme.objects.get(pk=waiting.pk).keywords == "bereikbaar"


def test_a_manager_deletes_a_theme_and_its_tags_go_with_it(
    client, org, stored_comments, waiting, django_capture_on_commit_callbacks
):
    theme(org.organisation, "Bereikbaarheid", "bereikbaar")
    retag_organisation(org.organisation)
    assert themes_of("both") == {"Wachttijd", "Bereikbaarheid"}
    client.force_login(org.manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/themes/{waiting.pk}/delete/")
    assert response.status_code == 302
    # Its tags and theme counts go with it; the other themes' tags are as they were, so the
    # re-tag sent finds nothing owed and does nothing.
    assert [callback.__qualname__.split(".")[0] for callback in callbacks] == [
        "_retag_after_commit"
    ]
    assert not Theme.objects.filter(pk=waiting.pk).exists()
    assert themes_of("wait") == set()
    assert themes_of("both") == themes_of("reach") == {"Bereikbaarheid"}


def test_nothing_is_retagged_before_the_theme_is_committed(client, org, stored_comments):
    # Without a commit (the test's transaction never commits) the task is not started: the
    # worker would otherwise read the themes as they were before the change.
    client.force_login(org.manager)
    assert (
        client.post("/themes/", {"name": "Wachttijd", "keywords": "wachttijd"}).status_code == 302
    )
    assert themes_of("wait") == set()


@pytest.mark.parametrize("name", ["Wachttijd", "wachttijd", "  WACHTTIJD "])
def test_a_second_theme_with_the_same_name_in_any_case_is_refused(client, org, waiting, name):
    client.force_login(org.manager)
    response = client.post("/themes/", {"name": name, "keywords": "wachten"})
    assert response.status_code == 400
    assert "There is already a theme with this name." in response.content.decode()
    assert list(Theme.objects.filter(organisation=org.organisation)) == [waiting]


def test_another_organisation_may_use_the_same_theme_name(client, org):
    theme(org.other, "Wachttijd", "wachttijd")
    client.force_login(org.manager)
    response = client.post("/themes/", {"name": "Wachttijd", "keywords": "wachttijd"})
    assert response.status_code == 302
    assert Theme.objects.filter(name="Wachttijd").count() == 2


def test_renaming_a_theme_to_another_themes_name_is_refused(client, org, waiting):
    prices = theme(org.organisation, "Prijs", "prijs")
    client.force_login(org.manager)
    response = client.post(f"/themes/{prices.pk}/", {"name": "WACHTTIJD", "keywords": "prijs"})
    assert response.status_code == 400
    assert "There is already a theme with this name." in response.content.decode()
    assert Theme.objects.get(pk=prices.pk).name == "Prijs"
    # Its own name in another case is fine.
    response = client.post(f"/themes/{prices.pk}/", {"name": "PRIJS", "keywords": "prijs"})
    assert response.status_code == 302
    assert Theme.objects.get(pk=prices.pk).name == "PRIJS"


@pytest.mark.parametrize("keywords", ["", "   ", ",", " , ,, "])
def test_a_theme_needs_at_least_one_keyword(client, org, keywords):
    client.force_login(org.manager)
    response = client.post("/themes/", {"name": "Leeg", "keywords": keywords})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give at least one keyword." in page or "This field is required." in page
    assert not Theme.objects.exists()


def test_keywords_are_stored_trimmed_and_without_repeats(client, org):
    client.force_login(org.manager)
    data = {"name": "Wachttijd", "keywords": " wachttijd ,wachten,, wachttijd , lang gewacht "}
    assert client.post("/themes/", data).status_code == 302
    assert Theme.objects.get().keywords == "wachttijd, wachten, lang gewacht"


def test_editing_a_theme_to_have_no_keywords_is_refused(client, org, waiting):
    client.force_login(org.manager)
    response = client.post(f"/themes/{waiting.pk}/", {"name": "Wachttijd", "keywords": " , "})
    assert response.status_code == 400
    assert "Give at least one keyword." in response.content.decode()
    assert Theme.objects.get(pk=waiting.pk).keywords == "wachttijd, lang gewacht"


@pytest.mark.parametrize("person", ["lead", "employee", "hr"])
def test_only_management_keeps_the_themes(client, org, waiting, person):
    client.force_login(getattr(org, person))
    assert client.get("/themes/").status_code == 403
    assert client.post("/themes/", {"name": "X", "keywords": "x"}).status_code == 403
    assert client.post(f"/themes/{waiting.pk}/delete/").status_code == 403
    assert list(Theme.objects.all()) == [waiting]


def test_a_manager_cannot_touch_another_organisations_theme(client, org):
    theirs = theme(org.other, "Wachttijd", "wachttijd")
    client.force_login(org.manager)
    assert client.get(f"/themes/{theirs.pk}/").status_code == 404
    assert client.post(f"/themes/{theirs.pk}/", {"name": "X", "keywords": "x"}).status_code == 404
    assert client.post(f"/themes/{theirs.pk}/delete/").status_code == 404
    assert Theme.objects.get(pk=theirs.pk).name == "Wachttijd"
    assert "Wachttijd" not in client.get("/themes/").content.decode()


def test_redaction_marks_do_not_count_as_keywords(org):
    from feedback.models import Theme
    from feedback.themes import ThemeMatcher

    theme = Theme.objects.create(
        organisation=org.organisation, name="Phone", keywords="phone, mail"
    )
    matcher = ThemeMatcher([theme])
    assert matcher.match("Call me on ⟦phone⟧ or ⟦email⟧") == []
    assert matcher.match("Nobody answers the phone") == [theme.pk]


def test_a_theme_edit_while_redis_is_down_is_retagged_by_the_sweeper(
    client, org, stored_comments, waiting, django_capture_on_commit_callbacks
):
    from feedback import tasks
    from tests.conftest import broker_unreachable

    retag_organisation(org.organisation)
    assert list(organisations_owed_a_retag()) == []
    client.force_login(org.manager)
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/themes/{waiting.pk}/", {"name": "Bereikbaarheid", "keywords": "bereikbaar"}
        )
    assert response.status_code == 302  # saved, though its task could not be sent
    assert themes_of("reach") == set() and themes_of("wait") == {"Bereikbaarheid"}
    # Too fresh for the sweeper: the task may still be on its way.
    assert list(organisations_owed_a_retag()) == []
    later = timezone.now() + dt.timedelta(minutes=5)
    assert list(organisations_owed_a_retag(now=later)) == [org.organisation.pk]
    # Five minutes on, as beat sees it: the edit and the last re-tag before it, both earlier.
    Theme.objects.filter(pk=waiting.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5),
        retagged_at=timezone.now() - dt.timedelta(minutes=10),
    )
    assert tasks.sweep_theme_retags() == 1
    assert themes_of("reach") == themes_of("both") == {"Bereikbaarheid"}
    assert themes_of("wait") == set()
    assert tasks.sweep_theme_retags() == 0  # nothing owed any more
