"""The site's own error pages, in the visitor's language, also with DEBUG on (the demo), so a
customer who mistypes a survey address never sees Django's technical page listing every URL."""

import pytest
from django.test import Client
from django.urls import path


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = False
    return settings


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Page not found"), ("nl", "Pagina niet gevonden")]
)
@pytest.mark.parametrize("address", ["/no-such-page/", "/s/a-mistyped-token/"])
def test_a_wrong_address_shows_the_real_404_in_debug_mode(db, debug, address, language, heading):
    response = Client(headers={"accept-language": language}).get(address)
    page = response.content.decode()
    assert response.status_code == 404
    assert heading in page
    assert "URLconf" not in page and "technical_404" not in page and "Django" not in page
    assert 'class="narrow card"' in page  # the site's own page, in its own layout


def test_developers_can_ask_for_the_technical_page(db, debug):
    debug.DEBUG_TECHNICAL_PAGES = True
    page = Client().get("/no-such-page/").content.decode()
    assert "URLconf" in page


def test_forbidden_is_the_real_403_in_debug_mode(db, debug, login, org):
    response = login(org.employee).get("/people/")
    assert response.status_code == 403 and "Traceback" not in response.content.decode()


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom)]


@pytest.mark.urls("tests.test_config_error_pages")
def test_an_error_shows_the_real_500_in_debug_mode(db, debug):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and "Traceback" not in page and "a bug" not in page
