"""The demo shop's customer database, and the SQL sources that reach it.

``seed(context)`` (called by ``dsar.demo`` from ``seed_demo``) rebuilds a
separate SQLite database at ``settings.DEMO_CUSTOMERS_DB`` and points three
demo assets at it through the SQL connector:

* "Customer contact database" → ``contacts`` (customer id, e-mail, name, phone,
  address), found by e-mail; erasure empties the personal columns;
* "Order history" → ``orders``, found by customer id; erasure empties the
  delivery address and keeps the accounting record (7 years, tax law);
* "Voice recordings" → ``recordings``, small WAV files held as BLOBs, found by
  the customer id each recording is *tagged* with; erasure deletes them.

**The recordings story** (what the package's subject-match guard must stop):
Ann (``C-1001``, ann@example.com) and Bob (``C-1002``, bob@example.com) each
have voice recordings. One of Bob's (recording 7, "Bob asks for the weather")
was tagged with Ann's customer id by a faulty import: ``customer_id`` says
``C-1001``, but ``device_owner_id`` (the customer whose device recorded it)
says ``C-1002``. The recordings table is configured with
``subject_column = device_owner_id``, so collecting Ann's data yields four
recording items: three carry ``customer:C-1001`` and the mis-tagged one
carries ``customer:C-1002`` (Bob's identifier). Ann's request's verified
identifiers are ``email:ann@example.com`` and ``customer:C-1001``, so assembling
her package is refused (409) naming that item. :data:`MISTAGGED` holds the
facts for the demo request and its tests.
"""

from __future__ import annotations

import random
import struct
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
)
from sqlalchemy.pool import NullPool

from dsar.connectors import services
from dsar.connectors.models import SqlSource, SqlTable

CUSTOMERS = [
    # customer id, e-mail, name, phone, address
    ("C-1001", "ann@example.com", "Ann Example", "+44 20 7946 0001", "1 Acacia Avenue, London"),
    ("C-1002", "bob@example.com", "Bob Example", "+44 20 7946 0002", "2 Birch Road, Leeds"),
    ("C-1003", "cara@example.com", "Cara Example", "+44 20 7946 0003", "3 Cedar Lane, York"),
]
ORDERS = [
    # customer id, days ago, total, status
    ("C-1001", 40, "24.99", "delivered"),
    ("C-1001", 12, "129.00", "delivered"),
    ("C-1002", 30, "59.50", "returned"),
    ("C-1003", 3, "9.99", "shipped"),
]
RECORDINGS = [
    # (tagged customer id, device owner, what was said)
    ("C-1001", "C-1001", "Ann sets a timer"),
    ("C-1002", "C-1002", "Bob plays the radio"),
    ("C-1001", "C-1001", "Ann asks for the news"),
    ("C-1002", "C-1002", "Bob adds milk to the list"),
    ("C-1001", "C-1001", "Ann calls Bob"),
    ("C-1002", "C-1002", "Bob turns off the lights"),
    # Bob's, tagged with Ann's customer id: the item the guard stops.
    ("C-1001", "C-1002", "Bob asks for the weather"),
]
MISTAGGED = {"recording_id": 7, "tagged": "C-1001", "owner": "C-1002", "identifier": "customer:C-1002"}


def schema(metadata: MetaData) -> None:
    Table(
        "contacts",
        metadata,
        Column("customer_id", String(20), primary_key=True),
        Column("email", String(200)),
        Column("name", String(200)),
        Column("phone", String(50)),
        Column("address", String(300)),
    )
    Table(
        "orders",
        metadata,
        Column("order_id", Integer, primary_key=True),
        Column("customer_id", String(20), ForeignKey("contacts.customer_id"), nullable=False),
        Column("placed_at", DateTime, nullable=False),
        Column("total", Numeric(10, 2), nullable=False),
        Column("status", String(20), nullable=False),
        Column("delivery_address", String(300)),
    )
    Table(
        "recordings",
        metadata,
        Column("recording_id", Integer, primary_key=True),
        Column("customer_id", String(20), nullable=False, index=True),
        Column("device_owner_id", String(20), nullable=False),
        Column("recorded_at", DateTime, nullable=False),
        Column("transcript", String(300)),
        Column("duration_ms", Integer, nullable=False),
        Column("audio", LargeBinary, nullable=False),
    )


def wav(seed: int, *, samples: int = 4000, rate: int = 8000) -> bytes:
    """Half a second of 8-bit mono noise behind a proper WAV header: a few KB that any player opens."""
    noise = random.Random(seed).randbytes(samples)  # nosec B311  (demo audio, not a secret)
    header = b"RIFF" + struct.pack("<I", 36 + samples) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", samples) + noise


def build_database(path: Path) -> None:
    """Write the customer database to ``path`` from scratch (built aside, then moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".sqlite3", delete=False) as handle:
        building = Path(handle.name)
    engine = create_engine(f"sqlite:///{building}", poolclass=NullPool)
    metadata = MetaData()
    schema(metadata)
    metadata.create_all(engine)
    now = datetime(2026, 11, 1, 9, 0)  # noqa: DTZ001 - the shop's database holds naive local times
    contacts, orders, recordings = (metadata.tables[n] for n in ("contacts", "orders", "recordings"))
    address = {c[0]: c[4] for c in CUSTOMERS}
    with engine.begin() as conn:
        conn.execute(
            contacts.insert(),
            [dict(zip(["customer_id", "email", "name", "phone", "address"], c, strict=True)) for c in CUSTOMERS],
        )
        conn.execute(
            orders.insert(),
            [
                {
                    "customer_id": cid,
                    "placed_at": now - timedelta(days=days),
                    "total": Decimal(total),
                    "status": status,
                    "delivery_address": address[cid],
                }
                for cid, days, total, status in ORDERS
            ],
        )
        conn.execute(
            recordings.insert(),
            [
                {
                    "recording_id": number,
                    "customer_id": tagged,
                    "device_owner_id": owner,
                    "recorded_at": now + timedelta(hours=number),
                    "transcript": said,
                    "duration_ms": 500,
                    "audio": wav(number),
                }
                for number, (tagged, owner, said) in enumerate(RECORDINGS, start=1)
            ],
        )
    engine.dispose()
    building.replace(path)


# asset name -> tables (SqlTable fields)
SOURCES = {
    "Customer contact database": [
        {
            "table": "contacts",
            "identifier_column": "email",
            "identifier_kind": SqlTable.IdentifierKind.EMAIL,
            "customer_id_column": "customer_id",  # the register: a customer id is proved by its address
            "columns": ["customer_id", "email", "name", "phone", "address"],
            "erasure_mode": SqlTable.ErasureMode.NULL,
            "null_columns": ["email", "name", "phone", "address"],
        }
    ],
    "Order history": [
        {
            "table": "orders",
            "identifier_column": "customer_id",
            "identifier_kind": SqlTable.IdentifierKind.CUSTOMER_ID,
            "columns": ["order_id", "placed_at", "total", "status", "delivery_address"],
            "erasure_mode": SqlTable.ErasureMode.NULL,
            "null_columns": ["delivery_address"],
        }
    ],
    "Voice recordings": [
        {
            "table": "recordings",
            "identifier_column": "customer_id",
            "identifier_kind": SqlTable.IdentifierKind.CUSTOMER_ID,
            "subject_column": "device_owner_id",
            "columns": ["recording_id", "recorded_at", "transcript", "duration_ms"],
            "file_column": "audio",
            "erasure_mode": SqlTable.ErasureMode.DELETE,
        }
    ],
}


def seed(context: dict) -> dict[str, SqlSource]:
    """Rebuild the customer database and point the demo assets at it (running twice creates nothing twice)."""
    path = Path(settings.DEMO_CUSTOMERS_DB).resolve()
    build_database(path)
    sources = {}
    for asset_name, tables in SOURCES.items():
        asset = context["assets"][asset_name]
        source, created = SqlSource.objects.update_or_create(
            asset=asset,
            defaults={"url": f"sqlite:///{path}", "password_env": "", "statement_timeout": 30},  # nosec B105
        )
        for spec in tables:
            spec = dict(spec)
            SqlTable.objects.update_or_create(
                source=source, table=spec.pop("table"), identifier_column=spec.pop("identifier_column"), defaults=spec
            )
        if created:  # as if Adam (access admin) had configured it in the admin
            services.sql_source_saved(actor=context["people"]["adam"], source=source, created=True)
        sources[asset_name] = source
    return sources
