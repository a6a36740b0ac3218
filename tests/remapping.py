"""Situations the re-map tests share: a conversion a map change demotes, and a postback
that changes a conversion while it is being re-mapped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.core.cid import mint
from app.extensions import db
from app.models import Conversion
from app.models.types import utcnow
from app.runtime import keyring


def demote_one(client: Any, headers: dict[str, str], source: dict[str, Any]) -> dict[str, Any]:
    """A registration matched by its ``click_id``, then a field map that reads the click id
    from ``sub``, which the network never sent: re-mapping turns it unmatched."""
    token = mint(keyring().click_token, source["id"], utcnow())
    query = {"click_id": token, "event": "reg", "transaction_id": "T1"}
    answer = client.get(source["postback_path"], query_string=query).get_json()
    assert answer["attribution"] == "matched", answer
    patched = client.patch(
        f"/api/v1/sources/{source['id']}", json={"field_map": {"click_id": "sub"}}, headers=headers
    )
    assert patched.status_code == 200, patched.get_json()
    return {"conversion_id": answer["conversion_id"], "click_id": token, "transaction_id": "T1"}


def race_every_remap(monkeypatch: Any) -> None:
    """Each conversion a re-map decides is changed by a postback right after."""
    from app.services import reprocess

    decide = reprocess._decide

    def racing(conversion: Conversion, *args: Any) -> Any:
        plan = decide(conversion, *args)
        db.session.execute(update(Conversion).values(revision=Conversion.revision + 1))
        return plan

    monkeypatch.setattr(reprocess, "_decide", racing)
