"""``portal.web.submit``: the one shape of a form post that calls a service, as the views use it."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from portal.errors import Conflict, Forbidden, NotFound, ValidationError
from portal.web import submit


class NoteForm(forms.Form):
    note = forms.CharField()


def _post(data):
    request = RequestFactory().post("/somewhere/", data)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _refuse(exc):
    def action(data):
        raise exc

    return action


def test_a_valid_form_runs_the_action_says_its_message_and_redirects():
    request, seen = _post({"note": "hello"}), []

    def action(data):
        seen.append(data)
        return "Saved.", "/done/"

    response = submit(request, NoteForm(request.POST), action)

    assert response.status_code == 302
    assert response["Location"] == "/done/"
    assert seen == [{"note": "hello"}]
    assert [m.message for m in get_messages(request)] == ["Saved."]


def test_an_invalid_form_never_reaches_the_service():
    request = _post({})
    form = NoteForm(request.POST)

    assert submit(request, form, _refuse(AssertionError("called"))) is None
    assert "note" in form.errors


def test_a_refusal_lands_on_the_form_field_it_names_and_the_page_is_shown_again():
    request = _post({"note": "x"})
    form = NoteForm(request.POST)

    assert submit(request, form, _refuse(ValidationError(fields={"note": "Too short."}))) is None
    assert form.errors["note"] == ["Too short."]
    assert list(get_messages(request)) == []


def test_a_conflict_without_fields_is_a_form_wide_error():
    request = _post({"note": "x"})
    form = NoteForm(request.POST)

    assert submit(request, form, _refuse(Conflict("Already done."))) is None
    assert form.non_field_errors() == ["Already done."]


@pytest.mark.parametrize("exc", [Forbidden("No."), NotFound("Gone.")])
def test_forbidden_and_not_found_go_on_to_the_error_pages(exc):
    request = _post({"note": "x"})
    with pytest.raises(type(exc)):
        submit(request, NoteForm(request.POST), _refuse(exc))


def test_errors_a_view_does_not_list_go_on_to_the_mixin():
    request = _post({"note": "x"})
    with pytest.raises(Conflict):
        submit(request, NoteForm(request.POST), _refuse(Conflict("Busy.")), errors=ValidationError)
