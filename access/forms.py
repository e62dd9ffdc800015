"""Forms of the access pages.

They only parse what the browser sends (types and choices). The rules —
justification length, the asset's longest grant, a reason for a revocation —
live in the services, whose per-field errors the views put back on these forms
(``portal.web.apply_to_form``), so the web, the API and the admin say the same.
"""

from __future__ import annotations

from django import forms

from access.models import (
    BREAK_GLASS_DEFAULT_HOURS,
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_SCOPE_CHOICES,
    DEFAULT_REQUEST_DAYS,
    MAX_COMMENT,
    MAX_JUSTIFICATION,
    MIN_JUSTIFICATION,
    Scope,
)


class _Form(forms.Form):
    """Labels without a trailing colon; an ``auto_id`` per form so two forms on a page never share ids."""

    auto_id = "id_%s"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", self.auto_id)
        super().__init__(*args, **kwargs)


def _text(rows: int, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class RequestForm(_Form):
    auto_id = "request_%s"
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.USE, label="Scope")
    duration_days = forms.IntegerField(label="Duration in days", widget=forms.NumberInput(attrs={"min": 1}))
    justification = forms.CharField(
        label="Justification",
        required=False,  # the service says how much is needed
        max_length=MAX_JUSTIFICATION,
        widget=_text(4, minlength=MIN_JUSTIFICATION, required=True),
        help_text=f"Why your work needs this data, at least {MIN_JUSTIFICATION} characters.",
    )
    ticket = forms.CharField(label="Ticket reference", max_length=100, required=False)

    def __init__(self, *args, asset, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["duration_days"]
        days.initial = min(DEFAULT_REQUEST_DAYS, asset.max_grant_days)
        days.widget.attrs["max"] = asset.max_grant_days
        days.help_text = f"At most {asset.max_grant_days} days for this asset. Ask for no more than you need."


class BreakGlassForm(_Form):
    auto_id = "breakglass_%s"
    scope = forms.ChoiceField(choices=BREAK_GLASS_SCOPE_CHOICES, initial=Scope.USE, label="Scope")
    hours = forms.TypedChoiceField(
        label="For how long",
        coerce=int,
        choices=[(h, f"{h} hour{'s' if h > 1 else ''}") for h in range(1, BREAK_GLASS_MAX_HOURS + 1)],
        initial=BREAK_GLASS_DEFAULT_HOURS,
    )
    justification = forms.CharField(
        label="What is the emergency?",
        required=False,
        max_length=MAX_JUSTIFICATION,
        widget=_text(3, minlength=MIN_JUSTIFICATION, required=True),
        help_text=f"At least {MIN_JUSTIFICATION} characters. Reviewers read this after the fact.",
    )


class DecisionForm(_Form):
    auto_id = "decision_%s"
    comment = forms.CharField(label="Comment", required=False, max_length=MAX_COMMENT, widget=_text(2))


class DenyForm(_Form):
    auto_id = "deny_%s"
    comment = forms.CharField(
        label="Reason",
        required=False,  # the service says a reason is needed, in the same words as the API
        max_length=MAX_COMMENT,
        widget=_text(3, required=True),
        help_text="The requester is told this.",
    )


class ConfirmForm(_Form):
    """A confirmation with nothing to fill in (cancelling a request)."""


class RevokeForm(_Form):
    auto_id = "revoke_%s"
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=MAX_COMMENT,
        widget=_text(2, required=True),
        help_text="The grantee is told this.",
    )


class BreakGlassReviewForm(_Form):
    auto_id = "review_%s"
    justified = forms.TypedChoiceField(
        label="Was this emergency access justified?",
        choices=[("yes", "Yes, justified"), ("no", "No, not justified (ends the access if it still runs)")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=MAX_COMMENT,
        widget=_text(2),
        help_text="Required when the use was not justified.",
    )
