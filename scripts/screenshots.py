"""Take full-page screenshots of pages of a running Wareshare (development aid).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 /tmp/shots \
        anon:/ anon:/search/ owner@wareshare.test:/owner/ ...

Each target is ``<login or anon>:<path>``; logins use the demo password, and the staff login
enters the code from ``manage.py demo_totp`` (run it with the server's settings). Uses Debian's chromium.
"""

import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "wareshare-demo"


def _demo_totp() -> str:
    """The demo staff user's current code, from the same settings as the server (DEBUG on)."""
    manage = Path(__file__).resolve().parents[1] / "manage.py"
    return subprocess.check_output([sys.executable, str(manage), "demo_totp"], text=True).strip()


def main(base: str, out: str, targets: list[str]) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        contexts = {}
        for target in targets:
            who, path = target.split(":", 1)
            if who not in contexts:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                if who != "anon":
                    page = context.new_page()
                    page.goto(base + "/accounts/login/")
                    page.fill("input[name=login]", who)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                    for _ in range(3):  # staff: the authenticator step (a code may just have expired)
                        if not page.locator("input[name=code]").count():
                            break
                        page.fill("input[name=code]", _demo_totp())
                        page.click("button[type=submit]")
                        page.wait_for_load_state()
                        if page.locator("input[name=code]").count():
                            time.sleep(31 - time.time() % 30)
                contexts[who] = context
            page = contexts[who].new_page()
            page.goto(base + path)
            name = f"{who.split('@')[0]}{path}".strip("/").replace("/", "_").replace("?", "_") or "home"
            page.screenshot(path=f"{out}/{name}.png", full_page=True)
            print(f"{out}/{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
