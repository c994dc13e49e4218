"""What every journey does in the browser: sign in, take a screenshot, run axe-core, watch the CSP."""

import io
import json
import re
import time
from pathlib import Path
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("serious", "critical")

# An init script in every page (conftest.py ``new_context``): each Content-Security-Policy
# violation goes into window.__cspViolations and, through an exposed binding, to the test.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    page: event.documentURI,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  };
  window.__cspViolations.push(violation);
  if (typeof window.__cspReport === "function") {
    window.__cspReport(violation);
  }
});
"""


def csp_violations(page: Page) -> list[dict[str, Any]]:
    """The Content-Security-Policy violations seen on the page shown now."""
    return page.evaluate("() => window.__cspViolations || []")


def shot(page: Page, journey: str, name: str) -> None:
    """A full-page screenshot, kept as a test artefact under var/test-artifacts/browser/<journey>/."""
    folder = ARTIFACTS / journey
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True, animations="disabled")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run the vendored axe-core on the page as it is; return the serious and critical violations.
    axe is evaluated, not added as a <script> tag: the page's Content-Security-Policy would block that."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [node["target"] for node in v["nodes"][:5]],
        }
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page: Page, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {name} ({page.url}):\n{json.dumps(violations, indent=2)}"


def link_in_last_email(to: str, pattern: str) -> str:
    """The path of the first link matching ``pattern`` in the newest email sent to ``to``."""
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    found = re.search(rf"https?://\S+?({pattern})", message.body)
    assert found, f"no link matching {pattern!r} in {message.subject!r}:\n{message.body}"
    return found.group(1)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def expect_message(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator(".messages").first).to_contain_text(text)


def png(name: str, colour: str) -> FilePayload:
    """A small photo to upload."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


def accept_dialog(page: Page, expected: str) -> None:
    """Answer OK to the next confirm() dialog, after checking what it asks."""

    def answer(dialog: Any) -> None:
        assert expected in dialog.message, dialog.message
        dialog.accept()

    page.once("dialog", answer)
