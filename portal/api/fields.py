"""Strict input fields: a JSON type error is a 400 for that field, never a silent conversion.

DRF's own fields read ``6.5`` as id 6 (the model field's ``int()``), ``true`` as id 1,
``"٦"`` (Arabic-Indic six) as 6 and ``12345`` as the text "12345".
"""

from __future__ import annotations

import re

from rest_framework import serializers

from portal.selectors import MAX_ID, is_id

_INTEGER = re.compile(r"-?[0-9]+")


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, or a string of ASCII digits (what a form sends); no float, bool or other digits."""

    default_error_messages = {"invalid": "Give a whole number (ASCII digits; no decimals, no true/false)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str) and not _INTEGER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


def IdField(**kwargs) -> StrictIntegerField:
    """An id given as a plain number: 1 to ``MAX_ID``."""
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object's id: a JSON integer or ASCII digits, 1 to ``MAX_ID``."""

    default_error_messages = {"invalid_id": "Give an id: a whole number in ASCII digits (no decimals, no true/false)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or not is_id(data):
            self.fail("invalid_id")
        if int(data) < 1:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(data))


class StrictCharField(serializers.CharField):
    """Text given as a JSON string; a number or a bool is a type error, not text."""

    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time this century: a year like 578 is a typo, and before 1847 London's offset is not
    whole minutes (LMT, -00:01:15), which no RFC 3339 client reads back."""

    EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
    default_error_messages = {"out_of_range": "Give a date and time between 2000 and 2099."}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not self.EARLIEST_YEAR <= parsed.year <= self.LATEST_YEAR:
            self.fail("out_of_range")
        return parsed
