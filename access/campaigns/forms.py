"""Forms of the campaign pages: types and choices only; the services own the rules."""

from __future__ import annotations

from django import forms

from access.campaigns.models import MAX_COMMENT, Outcome
from access.forms import _Form, _text
from portal.models import DataAsset, Sensitivity


class CampaignForm(_Form):
    auto_id = "campaign_%s"
    name = forms.CharField(label="Name", max_length=200)
    due_at = forms.DateTimeField(
        label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="Reviewers are reminded "
        "7, 3 and 1 days before; undecided items are escalated to the privacy officers on the day."
    )  # fmt: skip
    min_sensitivity = forms.ChoiceField(
        label="Minimum sensitivity",
        choices=[("", "Any (or the assets below)"), *Sensitivity.choices],
        required=False,
    )
    assets = forms.ModelMultipleChoiceField(
        label="Or these assets", queryset=DataAsset.objects.order_by("name"), required=False
    )
    default_decision = forms.ChoiceField(
        label="For items nobody decides", choices=Outcome.choices, initial=Outcome.REVOKE
    )


class ItemDecisionForm(_Form):
    auto_id = "decide_%s"
    decision = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect, label="Decision")
    comment = forms.CharField(label="Comment", required=False, max_length=MAX_COMMENT, widget=_text(2))


class BulkDecisionForm(_Form):
    auto_id = "bulk_%s"
    decision = forms.ChoiceField(choices=Outcome.choices)
    comment = forms.CharField(required=False, max_length=MAX_COMMENT, widget=_text(2))
    items = forms.TypedMultipleChoiceField(coerce=int, required=False)
    # "selected": the ticked items; "matching": every undecided item matching the queue's filter.
    apply_to = forms.ChoiceField(
        choices=[("selected", "selected"), ("matching", "matching")], required=False, initial="selected"
    )
    asset = forms.IntegerField(required=False, min_value=1)
    recommendation = forms.ChoiceField(choices=[("", ""), *Outcome.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id parses; the service says which are not the user's.
        self.fields["items"].valid_value = lambda value: True


class MoveForm(_Form):
    auto_id = "move_%s"
    to = forms.ModelChoiceField(queryset=None, label="To")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = candidates
