"""Security headers on every page: a Content-Security-Policy that runs no inline script, and
Referrer-Policy, Permissions-Policy, nosniff and X-Frame-Options; Stripe's hosts only with the
Stripe keys set; no template or Python-rendered HTML that the policy would block.
(The browser suite checks that the pages raise no violation: tests/browser/test_csp.py.)"""

import ast
import re
from pathlib import Path

import pytest

from leasing.choices import LeaseState as S
from marketplace.settings import security
from tests.trust.factories import staff_user

from .prod import ROOT, run, settings_values

STRIPE_HOSTS = ("js.stripe.com", "hooks.stripe.com", "api.stripe.com")


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def assert_secure_headers(response, path: str) -> dict[str, list[str]]:
    assert response.status_code == 200, f"{path}: {response.status_code}"
    assert response["Content-Type"].startswith("text/html"), path
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"], path
    for name in ("script-src", "script-src-elem", "script-src-attr"):
        assert "'unsafe-inline'" not in policy.get(name, []), f"{path}: {name} {policy.get(name)}"
        assert "'unsafe-eval'" not in policy.get(name, []), f"{path}: {name} {policy.get(name)}"
    assert policy["script-src"][0] == "'self'", path
    assert policy["object-src"] == ["'none'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["base-uri"] == ["'self'"], path
    assert policy["form-action"] == ["'self'"], path
    assert policy["img-src"][:2] == ["'self'", "data:"], path
    assert not any(host in response["Content-Security-Policy"] for host in STRIPE_HOSTS), path
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["X-Frame-Options"] == "DENY", path
    features = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert features[feature] == "()", f"{path}: {feature}={features.get(feature)}"
    return policy


@pytest.mark.django_db
def test_every_main_page_carries_the_policy_and_the_other_headers(client, p):
    funded = p.lease_in(S.FUNDED, quantity=1)
    accepted = p.lease_in(S.ACCEPTED, quantity=1)
    staff = staff_user()
    pages = {
        None: [
            "/",
            "/search/?port=NLRTM&radius=300",
            f"/listings/{p.listing.pk}/",
            "/accounts/login/",
            "/accounts/signup/",
            "/api/v1/docs/",
        ],
        p.owner: ["/owner/", f"/leases/{funded.pk}/", f"/organisations/{p.owner_org.pk}/"],
        p.exporter: ["/exporter/", f"/leases/{funded.pk}/", f"/leases/{accepted.pk}/pay/"],
        staff: ["/staff/"],
    }
    for user, paths in pages.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for path in paths:
            assert_secure_headers(client.get(path), path)


@pytest.mark.django_db
def test_the_api_docs_inline_script_carries_the_nonce_of_its_response(client):
    response = client.get("/api/v1/docs/")

    policy = assert_secure_headers(response, "/api/v1/docs/")
    nonces = [value for value in policy["script-src"] if value.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "Swagger UI's start-up script is gone"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert f'<style nonce="{nonce}">' in html
    assert client.get("/api/v1/docs/")["Content-Security-Policy"] != response["Content-Security-Policy"]


@pytest.mark.django_db
def test_redoc_alone_may_apply_inline_styles_but_runs_no_inline_script(client):
    response = client.get("/api/v1/redoc/")

    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert "fonts.googleapis.com" not in response.content.decode()
    assert "'unsafe-inline'" not in client.get("/")["Content-Security-Policy"]


def test_stripe_hosts_are_in_the_policies_only_with_the_stripe_keys_set():
    names = ["CONTENT_SECURITY_POLICY", "PERMISSIONS_POLICY"]
    without = settings_values(names)
    with_stripe = settings_values(
        names, STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x"
    )

    assert not any(host in str(without) for host in STRIPE_HOSTS)
    assert without["PERMISSIONS_POLICY"]["payment"] == []
    csp = with_stripe["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert "https://js.stripe.com" in csp["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(csp["frame-src"])
    assert "https://api.stripe.com" in csp["connect-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert with_stripe["PERMISSIONS_POLICY"]["payment"] == ["self", "https://js.stripe.com"]


def test_production_sends_the_headers_built_from_its_environment():
    """End to end in a child process with production settings: env → settings → response headers."""
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/api/v1/no-such-thing/', secure=True, HTTP_HOST='wareshare.example.com'); "
        "print(r['Content-Security-Policy']); print(r['Permissions-Policy'])"
    )
    stripe = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x", "STRIPE_WEBHOOK_SECRET": "w"}
    result = run(["-c", code], AWS_STORAGE_BUCKET_NAME="media", AWS_S3_CUSTOM_DOMAIN="cdn.wareshare.example", **stripe)

    assert result.returncode == 0, result.stderr
    csp, permissions = result.stdout.strip().splitlines()[-2:]
    policy = directives(csp)
    assert policy["img-src"] == ["'self'", "data:", "https://cdn.wareshare.example"]
    assert "https://js.stripe.com" in policy["script-src"]
    assert 'payment=(self "https://js.stripe.com")' in permissions


def test_media_on_s3_is_an_image_source():
    assert security.media_origins(bucket="", endpoint_url="https://s3.example", custom_domain="", region="") == []
    assert security.media_origins(bucket="m", endpoint_url="", custom_domain="cdn.example/", region="x") == [
        "https://cdn.example"
    ]
    assert security.media_origins(bucket="m", endpoint_url="https://s3.example:9000/", custom_domain="", region="") == [
        "https://s3.example:9000",
        "https://m.s3.example:9000",
    ]
    assert security.media_origins(bucket="m", endpoint_url="", custom_domain="", region="eu-west-1") == [
        "https://m.s3.amazonaws.com",
        "https://m.s3.eu-west-1.amazonaws.com",
    ]


# --- Nothing in a page that the policy blocks. ------------------------------------------------
TAG_ATTRIBUTE = r"<[a-zA-Z][^<>]*\s{}\s*="
BLOCKED = {
    "inline event handler (on...=)": re.compile(TAG_ATTRIBUTE.format("on[a-z]+")),
    "style attribute": re.compile(TAG_ATTRIBUTE.format("style")),
    "inline <script> without a nonce": re.compile(r"<script\b(?![^>]*\b(?:src|nonce)=)(?![^>]*application/json)[^>]*>"),
    "<style> without a nonce": re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>"),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE),
}
APPS = ("accounts", "api", "common", "escrow", "leasing", "marketplace", "notifications", "trust", "warehouses")


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n")  # keep line numbers


def _template_texts() -> list[tuple[Path, str]]:
    return [
        (path, COMMENTS.sub(_blank, path.read_text()))
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts and "emails" not in path.parts  # emails are not served under the CSP
    ]


def _python_strings() -> list[tuple[Path, str]]:
    """The string literals of the apps' Python code, docstrings left out: where HTML is built."""
    found = []
    for path in (path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            (path, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        ]
    return found


def test_no_template_or_python_rendered_html_needs_unsafe_inline():
    sources = _template_texts() + _python_strings()
    assert any(path.name == "base.html" for path, _ in sources)
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}: {what}: {match.group(0)[:80]}"
        for path, text in sources
        for what, pattern in BLOCKED.items()
        for match in pattern.finditer(text)
    ]
    assert not found, "\n".join(found)
