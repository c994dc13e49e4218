"""Take full-page screenshots of pages of a running Wareshare (development aid).

    .venv/bin/python scripts/screenshots.py [--widths=1280,390] http://127.0.0.1:8000 /tmp/shots \
        anon:/ anon:/search/ owner@wareshare.test:/owner/ ...

Each target is ``<login or anon>:<path>``; logins use the demo password, and the staff login
enters the code from ``manage.py demo_totp`` (run it with the server's settings). Uses Debian's chromium.
Each page is taken at every width (desktop 1280 px by default; 390 px is a phone), as
``<who>_<path>@<width>.png``.
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


def main(base: str, out: str, targets: list[str], widths: list[int]) -> None:
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
                    page.click("main button[type=submit]")
                    page.wait_for_load_state()
                    for _ in range(3):  # staff: the authenticator step (a code may just have expired)
                        if not page.locator("input[name=code]").count():
                            break
                        page.fill("input[name=code]", _demo_totp())
                        page.click("main button[type=submit]")
                        page.wait_for_load_state()
                        if page.locator("input[name=code]").count():
                            time.sleep(31 - time.time() % 30)
                contexts[who] = context
            page = contexts[who].new_page()
            name = f"{who.split('@')[0]}{path}".strip("/").replace("/", "_").replace("?", "_") or "home"
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
                page.goto(base + path)
                page.screenshot(path=f"{out}/{name}@{width}.png", full_page=True)
                print(f"{out}/{name}@{width}.png")
        browser.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    widths = [1280]
    if args and args[0].startswith("--widths="):
        widths = [int(width) for width in args.pop(0).split("=", 1)[1].split(",")]
    main(args[0], args[1], args[2:], widths)
