"""Configuration of the SQL connector: which database an asset lives in, and where a subject's rows are.

Imported by ``dsar.models`` so Django sees these models as the ``dsar`` app's.
Edited in the admin without code (``dsar.connectors.admin``).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from dsar.connectors.base import CUSTOMER_ID, EMAIL
from portal.models import DataAsset

DIALECTS = ("postgresql", "postgres", "mysql", "mariadb", "sqlite")
# Query-string keys some drivers read a secret from.
SECRET_KEYS = re.compile(r"pass(word|wd)?|secret|token", re.IGNORECASE)


def validate_connection_url(value: str) -> None:
    """A URL SQLAlchemy understands, for a supported dialect, holding no password."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError) as exc:
        raise ValidationError(
            "Not a database URL. Write it as dialect://user@host:port/database, "
            "e.g. postgresql://reader@db.internal:5432/shop."
        ) from exc
    if url.get_backend_name() not in DIALECTS:
        raise ValidationError(
            f"Unsupported database {url.get_backend_name()!r}: use postgresql, mysql, mariadb or sqlite."
        )
    if url.get_backend_name() == "sqlite" and not (url.database and url.database.startswith("/")):
        raise ValidationError(
            "Give SQLite's file as an absolute path, e.g. sqlite:////srv/shop.sqlite3 (four slashes): "
            "the web and worker processes may start in different folders."
        )
    if url.password is not None or any(SECRET_KEYS.fullmatch(key) for key in url.query):
        raise ValidationError(
            "Remove the password from the URL: it would be stored in the portal's database and shown in the admin. "
            "Put it in an environment variable of the web and worker processes and name that variable "
            "in “Password environment variable”."
        )


validate_env_name = RegexValidator(
    r"^[A-Z_][A-Z0-9_]{0,99}\Z",
    "Name an environment variable: capital letters, digits and underscores, e.g. SHOP_DB_PASSWORD.",
)

# Table and column names are checked against the database's own schema ("Test connection" and every
# run); here only what could never be a name: empty, padded, or absurdly long.
validate_identifier = RegexValidator(
    r"^\S(.{0,126}\S)?\Z",
    "Write the name exactly as the database has it, without leading or trailing spaces.",
)


class SqlSource(models.Model):
    """The database that holds one data asset's personal data."""

    asset = models.OneToOneField(DataAsset, on_delete=models.CASCADE, related_name="sql_source")
    url = models.CharField(
        "connection URL",
        max_length=500,
        validators=[validate_connection_url],
        help_text="dialect://user@host:port/database without the password, e.g. "
        "postgresql://dsar_reader@db.internal:5432/shop, mysql://dsar_reader@db.internal/shop, "
        "sqlite:////srv/shop.sqlite3.",
    )
    password_env = models.CharField(
        "password environment variable",
        max_length=100,
        blank=True,
        validators=[validate_env_name],
        help_text="The environment variable (of the web and worker processes) holding the password. "
        "The password itself is never stored or shown. Blank when the server needs none.",
    )
    statement_timeout = models.PositiveIntegerField(
        "statement timeout (seconds)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Longest one statement may run. A large read is fetched in batches, each under this limit.",
    )
    files_root = models.CharField(
        "files folder",
        max_length=500,
        blank=True,
        help_text="When a file column holds paths rather than the files' bytes: the folder they are under. "
        "Paths leading outside it are refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SQL source"
        ordering = ["asset__name"]

    def __str__(self) -> str:
        return f"SQL source of {self.asset}"

    def clean(self) -> None:
        if self.password_env and self.url.startswith("sqlite"):
            raise ValidationError({"password_env": "SQLite has no password: leave this blank."})  # nosec B105


class SqlTable(models.Model):
    """One table of a source: how to find a subject's rows in it, what to return and how to erase them."""

    class IdentifierKind(models.TextChoices):
        EMAIL = EMAIL, "e-mail address"
        CUSTOMER_ID = CUSTOMER_ID, "customer id"

    class ErasureMode(models.TextChoices):
        DELETE = "delete", "delete the rows"
        NULL = "null", "empty (null) the columns listed"

    source = models.ForeignKey(SqlSource, on_delete=models.CASCADE, related_name="tables")
    table = models.CharField(max_length=128, validators=[validate_identifier])
    identifier_column = models.CharField(
        max_length=128,
        validators=[validate_identifier],
        help_text="The column holding the subject's e-mail address or customer id.",
    )
    identifier_kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    subject_column = models.CharField(
        max_length=128,
        blank=True,
        validators=[validate_identifier],
        help_text="When rows are looked up by one column but another says whose they are (a recording "
        "looked up by the customer it is tagged with, made on another customer's device): that column, "
        "of the same kind. Items then carry the identifier read there, so the package's subject-match "
        "guard stops a mis-tagged row. Blank: the identifier column.",
    )
    columns = models.JSONField(
        default=list,
        blank=True,
        help_text="Columns returned to the subject, one per line. Blank: every column but the file column.",
    )
    erasure_mode = models.CharField(max_length=10, choices=ErasureMode.choices, default=ErasureMode.DELETE)
    null_columns = models.JSONField(
        default=list, blank=True, help_text="For erasure by emptying: the columns set to null, one per line."
    )
    file_column = models.CharField(
        max_length=128,
        blank=True,
        validators=[validate_identifier],
        help_text="A column holding a file (its bytes, or a path under the source's files folder): "
        "each row then gives a file.",
    )

    customer_id_column = models.CharField(
        max_length=128,
        blank=True,
        validators=[validate_identifier],
        help_text="In a table looked up by e-mail address: the column holding the customer id. The table then "
        "ties customer ids to addresses on record, and a request naming a customer id gets its verification "
        "link only when that id's address on record is the one the request gave: a customer number typed "
        "on the public form proves nothing by itself.",
    )

    class Meta:
        verbose_name = "SQL table"
        ordering = ["source", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "table", "identifier_column"], name="dsar_sqltable_one_lookup_per_column"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} by {self.identifier_column}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("columns", "null_columns"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() == c and c for c in value):
                errors[name] = "Give a list of column names."
        if self.erasure_mode == self.ErasureMode.NULL and not self.null_columns and "null_columns" not in errors:
            errors["null_columns"] = "Erasure by emptying needs the columns to empty."
        if self.erasure_mode == self.ErasureMode.DELETE and self.null_columns:
            errors["null_columns"] = "Rows are deleted: leave this empty, or choose erasure by emptying."
        if self.customer_id_column and self.identifier_kind != self.IdentifierKind.EMAIL:
            errors["customer_id_column"] = "Only a table looked up by e-mail address ties customer ids to addresses."
        if self.file_column and self.file_column in (self.columns or []):
            errors["file_column"] = "The file column gives the file; do not list it among the returned columns too."
        if errors:
            raise ValidationError(errors)
