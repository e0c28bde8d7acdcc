"""The web client's built assets, served by the API at `/`: a file if the path names one, `index.html` for any
other page the browser asks for (the client routes itself), nothing for API paths. Without a build, `/` says
how to get one."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from teslasync.config import Settings

PACKAGE_DIR = Path(__file__).resolve().parent
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's assets carry a content hash in their names

NO_BUILD = """<!doctype html><meta charset=utf-8><title>TeslaSync</title>
<h1>TeslaSync is running</h1>
<p>The web app is not built here. With Node.js 20 or newer: <code>make client</code> (or <code>make run</code>,
which builds it when Node is available), then reload. The GraphQL API is at <a href="/graphql">/graphql</a>;
the Docker image has the app built in.</p>"""


@dataclass(frozen=True)
class ClientSettings:
    """What the web client (and any other) is told about this server: where map tiles come from."""

    map_tile_url: str | None = None
    map_tile_attribution: str | None = None
    map_max_zoom: int = 19
    demo: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientSettings:
        return cls(
            map_tile_url=settings.map_tile_url,
            map_tile_attribution=settings.map_tile_attribution or None,
            map_max_zoom=settings.map_max_zoom,
            demo=settings.demo,
        )


def client_dir(configured: Path | None = None, package: Path = PACKAGE_DIR) -> Path | None:
    """Where the built client is: the configured directory (only it, when configured), else the
    repository's `client/dist`, else the copy an installed package carries (`_client`, as the image has it);
    None when there is none."""
    candidates = (
        [configured] if configured is not None else [package.parent / "client" / "dist", package / "_client"]
    )
    return next((c.resolve() for c in candidates if (c / "index.html").is_file()), None)


class WebClient:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = self.respond(request)
        await response(scope, receive, send)

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("not found", status_code=404)
        if self.directory is None:
            if request.url.path == "/":
                return HTMLResponse(NO_BUILD)
            return PlainTextResponse("not found", status_code=404)
        path = self._file(request.url.path)
        if path is not None:
            cache = IMMUTABLE if "/assets/" in request.url.path else "no-cache"
            return FileResponse(path, headers={"Cache-Control": cache})
        if "text/html" in request.headers.get("accept", ""):
            return FileResponse(self.directory / "index.html", headers={"Cache-Control": "no-cache"})
        return PlainTextResponse(f"not found: {html.escape(request.url.path)}", status_code=404)

    def _file(self, url_path: str) -> Path | None:
        assert self.directory is not None
        relative = url_path.lstrip("/") or "index.html"
        candidate = (self.directory / relative).resolve()
        if not candidate.is_relative_to(self.directory) or not candidate.is_file():
            return None  # outside the build (../), or no such file
        return candidate
