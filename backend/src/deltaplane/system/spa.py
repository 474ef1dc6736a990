"""Embedded mode: serve the built SPA at / with deep-link fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.response import File

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _resolve(dist: Path, path: str) -> Path | None:
    if "\x00" in path:  # a NUL byte makes the OS path calls raise ValueError (-> 500)
        return None
    candidate = (dist / path).resolve()
    # Refuse traversal outside dist (e.g. /..%2f..%2fetc/passwd).
    if dist not in candidate.parents and candidate != dist:
        return None
    return candidate if candidate.is_file() else None


@route(["/", "/{path:path}"], http_method=_ALL_METHODS, status_code=200, exclude_from_auth=True, include_in_schema=False, sync_to_thread=False)
def serve_spa(request: Request, path: str = "") -> Response | File:
    clean = path.lstrip("/")
    if clean == "api" or clean.startswith("api/") or request.method not in ("GET", "HEAD"):
        raise NotFoundException(f"no route for {request.method} /{clean}")
    dist = Path(request.app.state.services.settings.spa_dist).resolve()
    file = _resolve(dist, clean) if clean else None
    if file is not None:
        immutable = clean.startswith("assets/")
        return File(
            file,
            filename=file.name,  # gives the right Content-Type (text/javascript, text/css, ...)
            content_disposition_type="inline",
            headers={"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"},
        )
    if clean.startswith("assets/"):
        raise NotFoundException(f"asset /{clean} not found")
    index = dist / "index.html"
    if not index.is_file():
        raise NotFoundException("the SPA is not built: run `make build` (or `make run`, which builds it)")
    return File(index, filename="index.html", content_disposition_type="inline", headers={"Cache-Control": "no-cache"})
