"""The browser-side security headers: Content-Security-Policy (django-csp) and Permissions-Policy
(django-permissions-policy), built from what the deployment configures (docs/deploy.md, "Security
headers"). ``base.py`` calls these with the values of ``env.py``; nothing here reads the environment.
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF

# Stripe.js and what it talks to (https://docs.stripe.com/security/guide#content-security-policy).
STRIPE_SCRIPTS = ["https://js.stripe.com", "https://*.js.stripe.com"]
STRIPE_FRAMES = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
STRIPE_CONNECT = ["https://api.stripe.com"]


def media_origins(*, bucket: str, endpoint_url: str, custom_domain: str, region: str) -> list[str]:
    """Where the browser fetches uploaded photos from when media lives on S3 (``production.py``
    STORAGES): the CDN domain, else the S3-compatible endpoint (path- or virtual-hosted style), else
    AWS's own bucket hosts. Nothing without a bucket: media is then served from this site."""
    if not bucket:
        return []
    if custom_domain:
        return [f"https://{custom_domain.strip('/')}"]
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{bucket}.{parts.netloc}"]
    hosts = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        hosts.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return hosts


def content_security_policy(*, stripe: bool, media: list[str]) -> dict[str, dict[str, list[object]]]:
    """django-csp 4's CONTENT_SECURITY_POLICY. Scripts and styles come from this site's static files;
    an inline ``<script>`` or ``<style>`` needs ``nonce="{{ request.csp_nonce }}"`` (only the API
    docs pages have one). Stripe's hosts are allowed only when the checkout loads Stripe.js."""
    directives: dict[str, list[object]] = {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *(STRIPE_SCRIPTS if stripe else [])],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", *media],
        "connect-src": [SELF, *(STRIPE_CONNECT if stripe else [])],
        "frame-src": [SELF, *STRIPE_FRAMES] if stripe else [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
    return {"DIRECTIVES": directives}


def permissions_policy(*, stripe: bool) -> dict[str, list[str]]:
    """django-permissions-policy's PERMISSIONS_POLICY: no camera, microphone or location for anyone;
    the Payment Request API only for this site and Stripe's frames, and only with Stripe on."""
    return {
        "camera": [],
        "microphone": [],
        "geolocation": [],
        "payment": ["self", "https://js.stripe.com"] if stripe else [],
    }
