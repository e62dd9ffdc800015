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


# --- Casework: tasks, evidence, the regulator draft, referrals, the exposure window -----------


class TaskForm(_Form):
    prefix_id = "task"
    title = forms.CharField(max_length=MAX_TITLE)
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True))
    due_at = _when("Due (local time)", required=False)

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:  # the page offers who may work the incident; the service checks it
            self.fields["assignee"].choices = [("", "—"), *((u.pk, str(u)) for u in assignees)]


class EvidenceForm(_Form):
    prefix_id = "evidence"
    file = forms.FileField(
        help_text="PDF, PNG, JPEG, TXT, CSV, EML or ZIP; the type is checked from the content, not only the name."
    )
    description = forms.CharField(max_length=MAX_REASON, required=False)


class ReferralForm(_Form):
    prefix_id = "referral"
    agency = forms.CharField(max_length=200)
    reference = forms.CharField(max_length=200, required=False)
    referred_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=MAX_REASON, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DraftForm(_Form):
    prefix_id = "draft"
    nature = forms.CharField(label="Nature of the breach", max_length=MAX_TEXT, widget=forms.Textarea({"rows": 6}))
    subject_categories = forms.CharField(
        label="Categories of data subjects", max_length=MAX_REASON, required=False, help_text="e.g. customers, staff"
    )
    subject_count = forms.IntegerField(label="Approximate number of data subjects", min_value=0, required=False)
    record_categories = forms.CharField(
        label="Categories of personal data records", max_length=MAX_REASON, required=False
    )
    record_count = forms.IntegerField(label="Approximate number of records", min_value=0, required=False)
    contact_point = forms.CharField(label="Contact point (DPO)", max_length=MAX_REASON)
    consequences = forms.CharField(label="Likely consequences", max_length=MAX_TEXT, widget=forms.Textarea({"rows": 4}))
    measures_taken = forms.CharField(
        label="Measures taken", max_length=MAX_TEXT, required=False, widget=forms.Textarea({"rows": 4})
    )
    measures_proposed = forms.CharField(
        label="Measures proposed", max_length=MAX_TEXT, required=False, widget=forms.Textarea({"rows": 4})
    )


class SubmitDraftForm(_Form):
    prefix_id = "submit"
    authority = forms.CharField(max_length=200)
    submitted_at = _when("Submitted at (local time)")
    reference = forms.CharField(max_length=200, required=False)
    delay_reason = forms.CharField(label="Reason for the delay (if late)", max_length=MAX_REASON, required=False)


class ExposureForm(_Form):
    prefix_id = "exposure"
    start = _when("From (local time)", required=False)
    end = _when("Until (local time)", required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The end must come after the start.")
        return data
