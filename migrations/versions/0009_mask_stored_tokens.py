"""mask stored tokens: inbound tokens kept in plain text by earlier versions are masked

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:00:00

Earlier versions masked only the first ``_pbtoken`` of a postback's query string. A token
sent again in the body (form, JSON), repeated in the query, or after a bogus one in a
refused postback, was stored whole: in conversions, status changes, captures and the
rejection log. Every ``_pbtoken`` value found there is masked now, as new requests are.
So is a whole token after ``/pb/`` or ``/learn/`` (a Referer, a body quoting the
Postback URL). Only rows that may hold one are read. The rules are copied here, not
imported, so that this step means the same whatever the code becomes.
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000
PATTERNS = (
    re.compile(r"((?:_|%5[Ff])pbtoken=)([^&\s\"']+)"),
    re.compile(r"(\"_pbtoken\"\s*:\s*\")([^\"]+)"),
    re.compile(r"(/pb/|/learn/)([A-Za-z0-9_\-]{8,})"),
)
#: Which rows may hold one (the database's regex: PostgreSQL's, or Python's on SQLite);
#: a path masked already ("/pb/abcd…") does not match.
CANDIDATES = r"pbtoken|/(pb|learn)/[A-Za-z0-9_-]{8}"
#: Tables whose rows keep a request: (table, column, whether it holds JSON).
STORED = (
    ("conversions", "raw_request", True),
    ("conversion_status_changes", "raw_request", True),
    ("captures", "raw_request", True),
    ("rejected_postbacks", "excerpt", False),
)


def masked(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + m.group(2)[:4] + "…", text)
    return text


def masked_request(raw: dict) -> dict:
    """The request with every string in it (query values, body, headers) masked."""
    out = dict(raw)
    for key, value in raw.items():
        if isinstance(value, str):
            out[key] = masked(value)
        elif isinstance(value, dict):
            out[key] = {k: masked(v) if isinstance(v, str) else v for k, v in value.items()}
    query = out.get("query")
    if isinstance(query, dict):
        token = query.get("_pbtoken")
        if isinstance(token, str) and not token.endswith("…"):
            query["_pbtoken"] = token[:4] + "…"
    return out


def upgrade():
    bind = op.get_bind()
    for name, column_name, is_json in STORED:
        table = sa.table(name, sa.column("id"), sa.column(column_name))
        column = table.c[column_name]
        text_of = sa.cast(column, sa.Text) if is_json else column
        last_id = 0
        while True:
            rows = bind.execute(
                sa.select(table.c.id, column)
                .where(table.c.id > last_id, text_of.regexp_match(CANDIDATES))
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            last_id = rows[-1][0]
            changes = []
            for row_id, value in rows:
                if is_json:
                    raw = json.loads(value) if isinstance(value, str) else value
                    if not isinstance(raw, dict):
                        continue
                    new = masked_request(raw)
                    if new != raw:
                        changes.append({"id": row_id, "value": json.dumps(new)})
                elif value and masked(value) != value:
                    changes.append({"id": row_id, "value": masked(value)})
            if changes:
                json_cast = is_json and bind.dialect.name == "postgresql"
                target = "CAST(:value AS JSON)" if json_cast else ":value"
                bind.execute(
                    sa.text(f"UPDATE {name} SET {column_name} = {target} WHERE id = :id"),  # noqa: S608
                    changes,
                )


def downgrade():
    """Masked values stay masked: the tokens they hid are not kept anywhere."""
