"""Browser tests: pytest-playwright drives Debian's chromium against pytest-django's live server.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (installed by
``scripts/install_chromium.sh`` from the Makefile's setup). The live server runs in a thread of
this process, so the tests read ``django.core.mail.outbox`` and set up the other side of a
journey with the factories and services, while the browser plays the person under test.

Every page any test opens is watched for Content-Security-Policy violations (``new_context``):
a test that saw one fails at teardown, naming the page and what was blocked.
"""

import contextlib
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Playwright, Route, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from .helpers import CSP_WATCH

# pytest-django's live server listens on localhost unless told otherwise; these tests use 127.0.0.1.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop marked as running in this thread, and Django
    then refuses every ORM call from it ("You cannot call this from an async context"). The test
    thread only sets up data and reads results between browser steps, so allow it — for this
    package only; the fixtures below stop Playwright before the rest of the suite runs."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package", autouse=True)
def _expect_timeout() -> None:
    # Auto-waiting assertions: long enough for a slow CI page, short enough to fail fast.
    expect.set_options(timeout=10_000)


# pytest-playwright keeps Playwright for the whole session. Narrowed to this package, so no
# event loop is left running in the main thread for the tests collected after these.
@pytest.fixture(scope="package")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> Any:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless, offline: no browser download, no call home."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict[str, Any], browser_type: Any) -> Any:
    def launch(**kwargs: Any) -> Any:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_chromium.sh (make does it as part of its setup).")
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(live_server: Any) -> dict[str, Any]:
    return {"base_url": live_server.url, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _ports(transactional_db: None) -> None:
    """The ports come from a data migration, and each live-server test flushes the tables."""
    from tests.warehouses.factories import _port

    _port()


def _serve_media(route: Route) -> None:
    """The live server runs with DEBUG off and does not serve uploads; the browser gets them
    from MEDIA_ROOT (the test's own folder: tests/conftest.py ``_files``) here, so photos show in
    the pages and the screenshots."""
    path = route.request.url.split(settings.MEDIA_URL, 1)[1].split("?", 1)[0]
    file = (Path(settings.MEDIA_ROOT) / path).resolve()
    if not file.is_file() or Path(settings.MEDIA_ROOT).resolve() not in file.parents:
        route.fulfill(status=404)
        return
    route.fulfill(body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "")


@pytest.fixture
def new_context(new_context: Any) -> Iterator[Any]:
    """Every browser context: desktop-sized unless told otherwise, /media/ answered from MEDIA_ROOT,
    a 10 s limit on each action (a missing element fails fast, not after 30 s), and every
    ``securitypolicyviolation`` on any of its pages reported here: the test fails if there was one."""
    contexts: list[BrowserContext] = []
    violations: list[dict[str, Any]] = []

    def make(**kwargs: Any) -> BrowserContext:
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        context.route(f"**{settings.MEDIA_URL}**", _serve_media)
        context.expose_binding("__cspReport", lambda source, violation: violations.append(violation))
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        return context

    yield make
    for context in contexts:  # let the last page's reports arrive; a closed context has none pending
        for page in context.pages:
            with contextlib.suppress(PlaywrightError):
                page.evaluate("() => window.__cspViolations && window.__cspViolations.length")
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(
        f"{v['page']}: {v['directive']} blocked {v['blocked']} ({v['source']}:{v['line']}) {v['sample']}"
        for v in violations
    )
