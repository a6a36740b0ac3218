"""``make screenshots``: PNGs of the dashboard's main screens, into ``docs/screenshots/``.

Builds a throwaway hub (SQLite, migrated like a real one), fills it with a realistic day
of traffic, a fake Keitaro tracker and a webhook receiver, then photographs each screen in
Debian's Chromium at 1280 px, plus the postbacks page at phone width.
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Click, Conversion
from app.models.types import utcnow
from app.queue import get_queue
from app.runtime import keitaro_settings, keyring, signature_registry
from app.services import keitaro as connections
from app.services import keitaro_sync, outbound, rollups, users
from app.services import signatures as signature_service
from tests.browser.harness import LiveServer, launch
from tests.keitaro_fake import FakeKeitaro

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EMAIL, PASSWORD = "ops@example.com", "a long screenshot password"


def seed(client: Any, fake: FakeKeitaro) -> dict[str, Any]:
    """A believable day: three networks, clicks, conversions, retries, a ticket."""
    rng = random.Random(7)
    admin = users.create_user(EMAIL, PASSWORD, admin=True)
    token = users.create_token(admin, "screenshots")
    headers = {"Authorization": f"Bearer {token}"}

    def source(**fields: Any) -> dict[str, Any]:
        answer = client.post("/api/v1/sources", json=fields, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    networks = [
        source(
            name="Everflow — main",
            platform="everflow",
            offer_url="https://offers.example/lp?click={cid}",
            field_map={"click_id": "sub1", "payout_amount": "payout", "event_type": "event"},
            event_map={"reg": "registration", "ftd": "ftd", "dep": "deposit"},
        ),
        source(
            name="Casino partners",
            platform="cellxpert",
            offer_url="https://casino.example/?c={cid}",
            event_map={"signup": "registration", "first_deposit": "ftd", "qftd": "qftd"},
            default_currency="EUR",
        ),
        source(name="Nutra CPA", platform="leadbit", offer_url="https://nutra.example/"),
    ]
    client.patch(f"/api/v1/sources/{networks[2]['id']}", json={"state": "paused"}, headers=headers)
    labels = ["reg", "ftd", "dep", "signup", "first_deposit", "qftd", "mystery"]
    for n in range(140):
        network = rng.choice(networks[:2])
        click = client.get(urlsplit(network["track_url"]).path)
        cid = click.headers.get("Location", "").rsplit("=", 1)[-1] if n % 4 else f"ext{n}"
        label = rng.choice(labels)
        params = {
            "sub1": cid,
            "click_id": cid,
            "event": label,
            "transaction_id": f"T{n:05d}",
            "payout": f"{rng.choice([0, 2.5, 12, 35, 80])}",
            "currency": rng.choice(["USD", "USD", "EUR"]),
        }
        client.get("/pb/" + network["inbound_token"], query_string=params)
        if n % 9 == 0:
            client.get("/pb/" + network["inbound_token"], query_string=params)
    signature_service.detect_url(
        "https://partner.example/pb?visit={v}&goal={g}", signature_registry()
    )
    fake.add_conversion("only-in-keitaro", "tk1", "sale", "25", utcnow() - timedelta(hours=2))
    for n in range(40):
        fake.add_click(f"kt{n}", utcnow() - timedelta(minutes=3 * n), campaign_id=3, offer_id=5)
    return {"headers": headers, "sources": networks}


def spread_over_the_day(rng: random.Random) -> None:
    """Move the traffic, fired in a few seconds, back over the last day (busier in the
    afternoon, as a real day is), each conversion with its click, and roll the hours up
    again: the live card's chart then shows a day rather than one spike."""
    now = utcnow()
    clicks = {c.click_id: c for c in db.session.scalars(select(Click)).all()}
    for conversion in db.session.scalars(select(Conversion)).all():
        back = timedelta(hours=rng.triangular(0, 23, 9), minutes=rng.uniform(0, 59))
        conversion.received_at = now - back
        if conversion.click_id in clicks:
            click = clicks.pop(conversion.click_id)
            click.clicked_at = click.clicked_at - back
            conversion.clicked_at = click.clicked_at
    for click in clicks.values():
        click.clicked_at = now - timedelta(hours=rng.triangular(0, 23, 9))
    db.session.commit()
    rollups.rebuild(now)


def connect_keitaro(fake: FakeKeitaro) -> None:
    row = connections.add_connection(
        {
            "name": "Main tracker",
            "url": fake.url,
            "api_key": fake.api_key,
            "postback_key": fake.postback_key,
            "timezone": fake.timezone,
        },
        keyring(),
        keitaro_settings(),
    )
    connections.setup_forwarding(row, keyring())
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    span = keitaro_sync.import_window(
        row, utcnow(), overlap=timedelta(minutes=10), backfill=timedelta(hours=24)
    )
    keitaro_sync.import_clicks(row, tracker, span)


def shoot(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(
            base_url=base, viewport={"width": 1280, "height": 860}, locale="en-GB"
        )
        page = context.new_page()

        def save(name: str, *, full: bool = False) -> None:
            page.wait_for_timeout(250)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
            print(f"  docs/screenshots/{name}.png")

        page.goto("/login")
        save("login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/postbacks")
        save("postbacks", full=True)
        page.locator("#conversions tbody tr").nth(2).click()
        page.locator("[data-raw-request]").wait_for()
        save("conversion-drawer")
        page.keyboard.press("Escape")

        page.get_by_role("button", name="Add source").click()
        wizard = page.locator("#panel-detect")
        wizard.get_by_label("Name").fill("Rede Brasil")
        wizard.get_by_label("Sample postback URL").fill(
            "https://hub.example/pb/t?clickId={clickid}&valor={comissao}&moeda={moeda}"
            "&id_transacao={tid}&evento=cadastro"
        )
        wizard.get_by_role("button", name="Detect").click()
        page.locator("[data-outcome]").wait_for()
        save("wizard-detect")
        page.keyboard.press("Escape")

        page.locator("[data-edit-source]").first.click()
        page.locator("#edit-drawer [name=name]").wait_for()
        save("edit-drawer")
        page.get_by_role("button", name="Show Postback URL").click()
        page.locator("#reveal[open]").wait_for()
        save("reveal")

        page.keyboard.press("Escape")
        page.get_by_role("link", name="Re-map history").first.click()
        page.get_by_role("button", name="Preview").click()
        page.locator("[data-remap-report]").wait_for()
        save("remap-preview", full=True)

        page.goto("/outbound")
        page.locator("#outbound a").first.click()
        page.locator("#deliveries, .empty").first.wait_for()
        save("outbound", full=True)
        page.goto("/keitaro")
        save("keitaro", full=True)
        page.goto("/admin/signatures")
        save("signatures")
        page.goto("/admin/tickets")
        save("tickets")

        phone = browser.new_context(
            base_url=base,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            storage_state=context.storage_state(),
        )
        page = phone.new_page()
        page.goto("/postbacks")
        save("postbacks-phone")
        browser.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/screens.sqlite3",
                "REDIS_URL": None,
                "PBHUB_CLICK_BATCH": 0,
                "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8,localhost",
            }
        )
        fake = FakeKeitaro().start()
        try:
            with app.app_context(), LiveServer(app) as server:
                upgrade(directory=str(app.config["PBHUB_MIGRATIONS_DIR"]))
                print("Seeding a day of traffic…")
                outbound.create_outbound(
                    {"name": "Reporting API", "url_template": server.url + "/healthz?c={click_id}"},
                    keyring(),
                )
                seed(app.test_client(), fake)
                spread_over_the_day(random.Random(11))
                connect_keitaro(fake)
                get_queue(app).join()
                print("Taking screenshots:")
                shoot(server.url)
        finally:
            fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
