"""The web application's routes: pages, embeds, admin app, static files, overrides, CSP."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from owncast_core.domain.config import Keys
from owncast_core.services.config import ConfigService
from owncast_core.testing.fakes import InMemoryConfigRepository, PlainPasswordHasher
from owncast_runners.web import pages

ADMIN = "Basic " + base64.b64encode(b"admin:abc123").decode()
WRONG = "Basic " + base64.b64encode(b"admin:nope").decode()
ASSETS = pages.embedded_assets_dir()


@pytest.fixture
async def config() -> ConfigService:
    service = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await service.load()
    return service


@pytest.fixture
async def client(config: ConfigService, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async def api_only_post(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/api/thing", api_only_post, methods=["POST"]),
                            *pages.routes(config=config, data_dir=tmp_path)])
    app.router.default = pages.static_fallback(data_dir=tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


def csp_directives(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/embed/video", "/embed/chat/readonly", "/embed/chat/readwrite"])
async def test_pages_are_html_with_revalidation_and_a_strict_script_csp(
        client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"]
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["script-src"] == "script-src 'self'"  # no inline or foreign scripts
    assert "frame-ancestors" not in csp  # the viewer page and embeds can be embedded
    assert "<html" in response.text


async def test_viewer_page_loads_the_configured_custom_javascript_from_self(
        client: httpx.AsyncClient, config: ConfigService) -> None:
    await config.set(Keys.CUSTOM_JAVASCRIPT, "window.customRan = true;")
    page = await client.get("/")
    assert '<script src="/customjavascript"' in page.text
    script = await client.get("/customjavascript")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.text == "window.customRan = true;"
    assert "no-cache" in script.headers["cache-control"]


async def test_embed_chat_redirects_to_the_read_only_embed(client: httpx.AsyncClient) -> None:
    response = await client.get("/embed/chat")
    assert response.status_code == 307
    assert response.headers["location"] == "/embed/chat/readonly"


async def test_admin_redirects_then_requires_basic_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin")
    assert response.status_code == 301
    assert response.headers["location"] == "/admin/"
    for path in ("/admin/", "/admin/js/main.js", "/admin/admin.css"):
        for headers in ({}, {"Authorization": WRONG}):
            refused = await client.get(path, headers=headers)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == 'Basic realm="Owncast Authenticated Request"'
            assert refused.text == "Unauthorized"
    page = await client.get("/admin/", headers={"Authorization": ADMIN})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = csp_directives(page.headers["content-security-policy"])
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["connect-src"] == "connect-src 'self'"
    script = await client.get("/admin/js/main.js", headers={"Authorization": ADMIN})
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize(("path", "kind", "cache"), [
    ("/js/viewer.js", "text/javascript; charset=utf-8", "no-cache"),
    ("/css/app.css", "text/css; charset=utf-8", "no-cache"),
    ("/img/logo.svg", "image/svg+xml", "public, max-age=86400"),
])
async def test_static_files_have_content_types_and_cache_policy(
        client: httpx.AsyncClient, path: str, kind: str, cache: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == kind
    assert response.headers["cache-control"] == cache
    head = await client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content))


async def test_unchanged_files_revalidate_with_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/js/chat.js")
    etag = first.headers["etag"]
    again = await client.get("/js/chat.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = await client.get("/js/chat.js", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_the_data_web_directory_overrides_any_file(client: httpx.AsyncClient, tmp_path: Path) -> None:
    override = tmp_path / "web"
    (override / "css").mkdir(parents=True)
    (override / "css" / "app.css").write_text("body { color: hotpink; }")
    (override / "index.html").write_text("<!doctype html><html><title>mine</title></html>")
    (override / "admin").mkdir()
    (override / "admin" / "index.html").write_text("<html>my admin</html>")
    (override / "extra.txt").write_text("hello")

    assert (await client.get("/css/app.css")).text == "body { color: hotpink; }"
    assert "<title>mine</title>" in (await client.get("/")).text
    assert (await client.get("/extra.txt")).text == "hello"
    assert (await client.get("/admin/")).status_code == 401  # an override stays behind the admin auth
    assert (await client.get("/admin/", headers={"Authorization": ADMIN})).text == "<html>my admin</html>"
    # files that are not overridden still come from the package
    assert (await client.get("/js/viewer.js")).status_code == 200


async def test_paths_cannot_escape_the_asset_roots(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "link.txt").symlink_to(tmp_path / "secret.txt")
    for path in ("/..%2fsecret.txt", "/%2e%2e/secret.txt", "/web/..%2f..%2fsecret.txt", "/link.txt",
                 "/public/..%2fsecret.txt", "/js/..%5c..%5csecret.txt"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "secret" not in response.text


async def test_public_directory_is_served_at_public(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "public" / "docs").mkdir(parents=True)
    (tmp_path / "public" / "docs" / "rules.txt").write_text("be nice")
    response = await client.get("/public/docs/rules.txt")
    assert response.status_code == 200
    assert response.text == "be nice"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert (await client.get("/public/missing.txt")).status_code == 404


async def test_platform_logos_fall_back_to_a_generic_icon(client: httpx.AsyncClient) -> None:
    donate = await client.get("/img/platformlogos/donate.svg")
    assert donate.status_code == 200 and donate.headers["content-type"] == "image/svg+xml"
    unknown = await client.get("/img/platformlogos/keyoxide.png")
    assert unknown.status_code == 200
    assert unknown.content == (ASSETS / "img" / "platformlogos" / "link.svg").read_bytes()


async def test_unknown_paths_are_404_and_api_method_errors_are_kept(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, "/no/such/file.js")
        assert response.status_code == 404
        assert response.text == "404 page not found"
    # the fallback never swallows a wrong method on a real route
    assert (await client.get("/api/thing")).status_code == 405


LOCAL_REF = re.compile(r'(?:src|href)="(/[^"]*)"')
JS_IMPORT = re.compile(r"""(?:from\s+|import\(|module:\s*)\s*['"]([^'"]+)['"]""")


async def test_every_file_a_page_or_module_references_exists(client: httpx.AsyncClient) -> None:
    pages_to_check = ["index.html", "embed/video.html", "embed/chat.html", "admin/index.html"]
    for page in pages_to_check:
        for ref in LOCAL_REF.findall((ASSETS / page).read_text()):
            if ref in ("/", "/logo", "/customjavascript", "/api/auth/provider/indieauth") or ref.endswith("/"):
                continue
            assert (ASSETS / ref.lstrip("/")).is_file(), f"{page} references missing {ref}"
    for script in [*ASSETS.glob("js/*.js"), *ASSETS.glob("admin/js/**/*.js")]:
        for target in JS_IMPORT.findall(script.read_text()):
            if target.startswith("/vendor/"):
                continue  # built from npm by ./run (tools/build-web-assets.mjs)
            resolved = (ASSETS / target.lstrip("/")) if target.startswith("/") else (script.parent / target)
            assert resolved.resolve().is_file(), f"{script.relative_to(ASSETS)} imports missing {target}"
