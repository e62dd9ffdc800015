"""One reading of yes/no query parameters and one safe ``next`` for every list, page and API."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory

from portal.errors import ValidationError
from portal.params import BOOL_HELP, parse_bool
from portal.tests.factories import DataAssetFactory
from portal.web import back


@pytest.mark.parametrize("word", ["1", "true", "yes", "on", "TRUE", "Yes", " on "])
def test_these_words_mean_yes(word):
    assert parse_bool(word, name="usable") is True


@pytest.mark.parametrize("word", ["0", "false", "no", "off", "False", "NO"])
def test_these_words_mean_no(word):
    assert parse_bool(word, name="usable", default=True) is False


@pytest.mark.parametrize("word", [None, "", "  "])
def test_absent_or_empty_means_the_default(word):
    assert parse_bool(word, name="usable") is False
    assert parse_bool(word, name="usable", default=True) is True


@pytest.mark.parametrize("word", ["maybe", "2", "t", "y", "ja", "1.0", "null"])
def test_anything_else_is_refused_naming_the_parameter(word):
    with pytest.raises(ValidationError) as refused:
        parse_bool(word, name="usable")
    assert refused.value.status == 400
    assert list(refused.value.fields) == ["usable"]


# --- The API answers 400, naming the parameter -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/assets/", "usable"),
        ("/api/assets/", "holds_personal_data"),
        ("/api/access-requests/", "mine"),
        ("/api/access-requests/", "reviewable"),
        ("/api/grants/", "awaiting_review"),
    ],
)
def test_the_api_refuses_a_malformed_yes_no_parameter(client_of, employee, path, param):
    response = client_of(employee).get(f"{path}?{param}=maybe")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["1", "true", "yes", "on"])
def test_the_api_reads_every_yes_the_same(client_of, employee, asset, word):
    DataAssetFactory(name="Web analytics", holds_personal_data=False)
    api = client_of(employee)

    assert api.get(f"/api/assets/?usable={word}").json()["count"] == 0
    names = [a["name"] for a in api.get(f"/api/assets/?holds_personal_data={word}").json()["results"]]
    assert "Web analytics" not in names
    assert api.get(f"/api/access-requests/?mine={word}").status_code == 200
    assert api.get(f"/api/grants/?awaiting_review={word}").status_code == 200


# --- Pages show a message and the unfiltered list ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "param", "label"),
    [("/assets/", "usable", "Only what I can use now"), ("/access/requests/", "mine", "Only my requests")],
)
def test_a_page_with_a_malformed_yes_no_parameter_says_so(web_of, employee, asset, path, param, label):
    response = web_of(employee).get(f"{path}?{param}=maybe")

    assert response.status_code == 200
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Some filters are not valid")
    assert f"{label}: {BOOL_HELP}" in message


@pytest.mark.django_db
def test_the_asset_page_reads_on_as_the_checkbox_does(web_of, employee, asset):
    assert list(web_of(employee).get("/assets/?usable=on").context["assets"]) == []
    assert list(web_of(employee).get("/assets/?usable=1").context["assets"]) == []
    assert list(web_of(employee).get("/assets/?usable=0").context["assets"]) == [asset]


# --- The one safe "next" ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "referer", "use_referer", "expected"),
    [
        ({"next": "/access/review/"}, "", True, "/access/review/"),
        ({"next": "https://evil.example/"}, "", True, "/fallback/"),
        ({"next": "//evil.example/"}, "", True, "/fallback/"),
        ({}, "http://testserver/assets/", True, "http://testserver/assets/"),
        ({}, "https://evil.example/", True, "/fallback/"),
        ({}, "http://testserver/assets/", False, "/fallback/"),
    ],
)
def test_back_goes_only_to_a_page_of_this_site(data, referer, use_referer, expected):
    request = RequestFactory().post("/x/", data, headers={"referer": referer} if referer else {})

    assert back(request, "/fallback/", referer=use_referer).url == expected
