from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from incidents.models import MAX_REASON, MAX_TEXT, MAX_TITLE, Incident
from portal.models import DataAsset


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.prefix_id}_%s")
        super().__init__(*args, **kwargs)

    prefix_id = "f"


def _when(label: str, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class ReportForm(_Form):
    prefix_id = "report"
    title = forms.CharField(max_length=MAX_TITLE)
    description = forms.CharField(max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 5}))
    kind = forms.ChoiceField(choices=Incident.Kind.choices)
    severity = forms.ChoiceField(choices=Incident.Severity.choices, initial=Incident.Severity.MEDIUM)
    detected_at = _when("Detected at (local time)")
    aware_at = _when("Aware at (local time; empty: now)", required=False)
    awareness_gap_reason = forms.CharField(
        label="Why awareness came later than detection",
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assets = forms.ModelMultipleChoiceField(queryset=DataAsset.objects.all(), required=False)
    is_exercise = forms.BooleanField(label="This is an exercise (no legal obligations)", required=False)


class AssessForm(_Form):
    prefix_id = "assess"
    is_personal_data_breach = forms.BooleanField(label="Personal-data breach", required=False)
    risk = forms.ChoiceField(choices=[("", "—"), *Incident.Risk.choices], required=False)
    data_categories = forms.CharField(label="Data categories (comma-separated)", required=False, max_length=1000)
    subject_count = forms.IntegerField(label="Estimated number of subjects", required=False, min_value=0)
    jurisdictions = forms.CharField(
        label="Jurisdictions (comma-separated, e.g. EU, UK)", required=False, max_length=200
    )

    @staticmethod
    def _list(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    def clean_data_categories(self):
        return self._list(self.cleaned_data["data_categories"])

    def clean_jurisdictions(self):
        return self._list(self.cleaned_data["jurisdictions"])


class StatusForm(_Form):
    prefix_id = "status"
    status = forms.ChoiceField(choices=Incident.Status.choices)
    note = forms.CharField(max_length=MAX_REASON, required=False)


class NoteForm(_Form):
    prefix_id = "note"
    text = forms.CharField(max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class UserForm(_Form):
    prefix_id = "involved"
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), widget=forms.NumberInput, label="User id"
    )
    note = forms.CharField(max_length=MAX_REASON, required=False)


class RevokeForm(_Form):
    prefix_id = "revoke"
    user = forms.ModelChoiceField(queryset=get_user_model().objects.all(), widget=forms.HiddenInput)
    reason = forms.CharField(max_length=MAX_REASON - 100, required=False)


class HandlerForm(_Form):
    prefix_id = "handler"
    handler = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), widget=forms.NumberInput, label="User id"
    )


class FilingForm(_Form):
    prefix_id = "filing"
    authority = forms.CharField(max_length=200)
    submitted_at = _when("Submitted at (local time)")
    reference = forms.CharField(max_length=200, required=False)
    delay_reason = forms.CharField(label="Reason for the delay (if late)", max_length=MAX_REASON, required=False)
    regime = forms.CharField(max_length=30, required=False, help_text="gdpr or uk-gdpr, when both apply")
