"""Forms of the subject-notification page: the CSV upload and the message."""

from django import forms

from incidents.subjects.models import MAX_MAIL_BODY, MAX_MAIL_SUBJECT

DEFAULT_SUBJECT = "Important: a data breach affecting your personal data ({reference})"
DEFAULT_BODY = """Dear {name},

We are writing to tell you about an incident at {organisation} (our reference {reference}) \
that affected your personal data.

What happened:
What data was involved:
What we have done:
What you can do:

If you have questions, reply to this message or contact our Data Protection Officer.

{organisation}
"""


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8, with a header row: email, name and (optionally) language."
    )


class NotifyForm(forms.Form):
    subject = forms.CharField(max_length=MAX_MAIL_SUBJECT, initial=DEFAULT_SUBJECT)
    body = forms.CharField(
        max_length=MAX_MAIL_BODY,
        initial=DEFAULT_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Placeholders: {name}, {email}, {reference}, {organisation}.",
    )
