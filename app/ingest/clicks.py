"""Click rows, written in batches off the redirect's path.

A redirect must answer in well under a millisecond of our own time, and one INSERT with
a commit per click costs more than the rest of the request. Clicks wait in memory and a
background thread writes them in batches (every ``PBHUB_CLICK_FLUSH_SECONDS``, sooner when
``PBHUB_CLICK_BATCH`` rows wait, and at exit), with one COPY on PostgreSQL. Attribution
never waits for them: the ``_cid`` token verifies on its own. ``PBHUB_CLICK_BATCH=0``
writes each click before answering.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy.exc import IntegrityError

from app.batching import Batcher
from app.extensions import db
from app.models import Click
from app.models.bulk import insert_rows

CLICKS = Click.__table__
log = logging.getLogger(__name__)


class ClickRecorder:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self.batch = Batcher(
            "pbhub-clicks",
            self._write,
            batch_size=max(app.config["PBHUB_CLICK_BATCH"], 1),
            interval=app.config["PBHUB_CLICK_FLUSH_SECONDS"],
        )
        self.buffered = app.config["PBHUB_CLICK_BATCH"] > 0

    def record(self, row: dict[str, Any]) -> None:
        if self.buffered:
            self.batch.add(row)
        else:
            self._write([row])

    def flush(self) -> int:
        return self.batch.flush()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._app.app_context():
            try:
                with db.engine.begin() as connection:
                    insert_rows(connection, CLICKS, rows)
            except IntegrityError:
                self._write_one_by_one(rows)

    def _write_one_by_one(self, rows: list[dict[str, Any]]) -> None:
        """A batch with a row the database refuses (its source was just deleted) must not
        hold back every later click: write the rest, drop the refused ones."""
        dropped = 0
        for row in rows:
            try:
                with db.engine.begin() as connection:
                    insert_rows(connection, CLICKS, [row])
            except IntegrityError:
                dropped += 1
        log.warning("dropped %d click rows the database refused (deleted source?)", dropped)


def init_app(app: Flask) -> None:
    app.extensions["pbhub.clicks"] = ClickRecorder(app)


def get_recorder(app: Flask) -> ClickRecorder:
    return app.extensions["pbhub.clicks"]
