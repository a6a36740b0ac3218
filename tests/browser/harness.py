"""The browser-test harness: Debian's Chromium under Playwright, and the app on a loopback
port. Used by the browser tests and by ``make screenshots``.

Chromium is the system's (``/usr/bin/chromium``); Playwright never downloads one.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PBHUB_CHROMIUM", "/usr/bin/chromium")
#: Headless, as root in a container, and quiet: no calls home on a closed network.
#: Playwright gives each launch a new, empty user-data directory.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


class LiveServer:
    """The test's app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        app.config["PBHUB_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._thread.join()
