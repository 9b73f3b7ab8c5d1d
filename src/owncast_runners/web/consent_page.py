"""The IndieAuth consent page: server-rendered HTML, no script, every value from the request
escaped (``html.escape`` with quotes), and the headers that keep it out of frames.

The page names the client site (its host prominently, then its full ``client_id``), the
identity the streamer would sign in as, and where the browser goes back to; its form posts the
one-time consent token and the decision (``allow`` / ``deny``) to ``CONSENT_PATH``.
"""

from __future__ import annotations

from html import escape
from typing import Final

from owncast_core.domain.indieauth_provider import CONSENT_PATH, ConsentPrompt
from owncast_runners.web.responses import NO_CACHE

ALLOW: Final = "allow"
DENY: Final = "deny"
TOKEN_FIELD: Final = "token"  # noqa: S105 - a form field's name, not a secret
DECISION_FIELD: Final = "decision"

# No script or other subresource at all; inline styles only. No form-action: browsers apply it to
# the redirect that answers the form too, and that redirect goes to the client's own origin.
CONSENT_CSP: Final = "; ".join((
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
CONSENT_HEADERS: Final = {
    **NO_CACHE,
    "Content-Security-Policy": CONSENT_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # "same-origin", not "no-referrer": with no-referrer a browser posts the form with
    # "Origin: null", which the consent action refuses as cross-site.
    "Referrer-Policy": "same-origin",
}

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}"
    "h1{font-size:1.4rem}.host{font-size:1.6rem;font-weight:bold;overflow-wrap:anywhere}"
    "code{overflow-wrap:anywhere}.buttons{display:flex;gap:1rem;margin-top:1.5rem}"
    "button{font-size:1rem;padding:.5rem 1.5rem}"
)


def _text(value: str) -> str:
    return escape(value, quote=True)


def render(prompt: ConsentPrompt) -> str:
    """The consent page for ``prompt`` as an HTML document (every value escaped)."""
    host = _text(prompt.client_host)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in to {host}?</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Sign in to another site?</h1>
<p class="host">{host}</p>
<p>The site <code>{_text(prompt.request.client_id)}</code> wants to sign you in as
<strong><code>{_text(prompt.me)}</code></strong>.</p>
<p>If you allow it, you will be sent back to <code>{_text(prompt.request.redirect_uri)}</code>,
and that site will learn that you are this server's streamer.
If you did not just try to sign in there, choose Deny.</p>
<form method="post" action="{_text(CONSENT_PATH)}">
<input type="hidden" name="{TOKEN_FIELD}" value="{_text(prompt.token)}">
<div class="buttons">
<button type="submit" name="{DECISION_FIELD}" value="{ALLOW}">Allow</button>
<button type="submit" name="{DECISION_FIELD}" value="{DENY}">Deny</button>
</div>
</form>
</body>
</html>
"""
