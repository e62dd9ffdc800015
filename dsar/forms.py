from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from dsar.models import MAX_NAME, MAX_REASON, MAX_TEXT, Request
from dsar.services.clock import MAX_EXTENSION_DAYS, MAX_EXTENSION_MONTHS
from dsar.services.collection import MAX_FILES
from dsar.services.intake import MAX_CUSTOMER_ID


class _Form(forms.Form):
    prefix_id = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.prefix_id}_%s")
        super().__init__(*args, **kwargs)


class IntakeForm(_Form):
    """The public form: what the API takes."""

    prefix_id = "intake"
    type = forms.ChoiceField(label="What do you ask for?", choices=Request.Type.choices)
    email = forms.EmailField(label="Your e-mail address", max_length=254)
    name = forms.CharField(label="Your name", max_length=MAX_NAME, required=False)
    customer_id = forms.CharField(label="Customer number (if you have one)", max_length=MAX_CUSTOMER_ID, required=False)
    jurisdiction = forms.ChoiceField(
        label="Where you live (the law that applies)", choices=Request.Jurisdiction.choices
    )
    details = forms.CharField(
        label="Anything that helps us", max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class StaffEntryForm(IntakeForm):
    prefix_id = "entry"
    email = forms.EmailField(label="Subject's e-mail address", max_length=254)
    name = forms.CharField(label="Subject's name", max_length=MAX_NAME, required=False)
    customer_id = forms.CharField(label="Customer number", max_length=MAX_CUSTOMER_ID, required=False)
    jurisdiction = forms.ChoiceField(label="Jurisdiction", choices=Request.Jurisdiction.choices)
    details = forms.CharField(max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    received_at = forms.DateTimeField(
        label="Received at (local time; empty: now)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    handler = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    send_verification = forms.BooleanField(
        label="Mail the subject a verification link now", required=False, initial=True
    )

    field_order = ["type", "email", "name", "customer_id", "jurisdiction", "received_at", "details", "handler"]


class HandlerForm(_Form):
    prefix_id = "handler"
    handler = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True).order_by("username"))


class ReasonForm(_Form):
    prefix_id = "reason"
    reason = forms.CharField(max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(_Form):
    prefix_id = "extend"
    months = forms.IntegerField(
        label="Further months (GDPR)", min_value=1, max_value=MAX_EXTENSION_MONTHS, required=False
    )
    days = forms.IntegerField(label="Further days (CCPA)", min_value=1, max_value=MAX_EXTENSION_DAYS, required=False)
    reason = forms.CharField(
        label="Reason (mailed to the subject)", max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, jurisdiction: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The page offers the one unit the request's law extends in; the service checks it either way.
        if jurisdiction == Request.Jurisdiction.CCPA:
            del self.fields["months"]
        elif jurisdiction:
            del self.fields["days"]


class VerifyForm(_Form):
    prefix_id = "verify"
    method = forms.ChoiceField(
        label="How the identity was checked",
        choices=[c for c in Request.Verification.choices if c[0] != Request.Verification.LINK],
    )
    note = forms.CharField(label="What was seen", max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class UploadForm(_Form):
    prefix_id = "upload"
    files = MultipleFileField(
        required=False,
        help_text=f"Up to {MAX_FILES} files, each at most {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
        "None: nothing was found there.",
    )
    subject_identifier = forms.ChoiceField(label="Found under")

    def __init__(self, *args, identifiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_identifier"].choices = [(i, i) for i in sorted(identifiers)]


class PauseForm(ReasonForm):
    prefix_id = "pause"


class RejectForm(ReasonForm):
    prefix_id = "reject"


class WithdrawForm(ReasonForm):
    prefix_id = "withdraw"
