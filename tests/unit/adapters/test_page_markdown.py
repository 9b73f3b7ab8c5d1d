"""The page renderer reproduces Owncast's goldmark output for the default page content."""

from __future__ import annotations

from owncast_adapters.markdown.page import MarkdownItPageRenderer
from owncast_core.domain.config import DEFAULT_PAGE_CONTENT

# Owncast's test/automated/api/configmanagement.test.js (defaultPageContent), byte for byte.
OWNCAST_DEFAULT_PAGE_HTML = """<h1>Welcome to Owncast!</h1>
<ul>
<li>
<p>This is a live stream powered by <a href="https://owncast.online">Owncast</a>, a free and open source live streaming server.</p>
</li>
<li>
<p>To discover more examples of streams, visit <a href="https://directory.owncast.online">Owncast's directory</a>.</p>
</li>
<li>
<p>If you're the owner of this server you should visit the admin and customize the content on this page.</p>
</li>
</ul>
<hr/>
<video id="video" controls preload="metadata" style="width: 60vw; max-width: 600px; min-width: 200px;" poster="https://videos.owncast.online/t/xaJ3xNn9Y6pWTdB25m9ai3">
  <source src="https://assets.owncast.tv/video/owncast-embed.mp4" type="video/mp4" />
</video>"""  # noqa: E501


def test_default_page_content_matches_owncast() -> None:
    assert MarkdownItPageRenderer().page(DEFAULT_PAGE_CONTENT) == OWNCAST_DEFAULT_PAGE_HTML


def test_gfm_features_like_goldmark() -> None:
    r = MarkdownItPageRenderer()
    assert r.page("~~gone~~") == "<p><del>gone</del></p>"
    assert "<table>" in r.page("| a |\n|---|\n| 1 |")
    assert r.page("www.example.com") == "<p>www.example.com</p>"  # strict linkify: scheme required
    assert r.simple("| a |\n|---|\n| 1 |").startswith("<p>")  # no tables in simple markdown
    assert r.simple("text") == "<p>text</p>"
