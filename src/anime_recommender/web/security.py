"""Headers every response gets: a Content-Security-Policy true to the pages, and same-site redirects."""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response

# The pages load one same-origin stylesheet and nothing else: no script, no inline style (the genre
# chart is inline SVG styled by that stylesheet), no frames, forms that submit to this site only.
# tests/web/test_headers.py scans the templates for anything this would block, and the browser test
# checks that Chromium reports no violation on any page.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
}
_LEADING_SLASHES = re.compile(r"^/{2,}")


def same_site(location: str) -> str:
    """A Location reduced to path, query and fragment: a redirect never names a host.

    Werkzeug builds absolute redirect URLs (merge-slashes and strict-slashes redirects) from the
    Host header, which the client chooses; a relative one resolves against the address the client
    really used. Leading slashes are collapsed so that the path cannot become `//other.host`.
    """
    parts = urlsplit(location)
    path = _LEADING_SLASHES.sub("/", parts.path) or "/"
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def secure_headers(response: Response) -> Response:
    """Add the security headers and make any redirect relative (pages, API, static files, errors)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "Location" in response.headers:
        response.headers["Location"] = same_site(response.headers["Location"])
    return response


def init_app(app: Flask) -> None:
    """Register the header step for every response, including error pages and /metrics."""
    app.after_request(secure_headers)
