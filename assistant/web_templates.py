"""The Jinja2 environment of the HTML pages and its helpers (versioned static URLs, safe links)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from assistant.config import PROJECT_ROOT
from assistant.render import Block, Table
from assistant.web_views import cite_url, safe_url

WEB_DIR = PROJECT_ROOT / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>`` so browsers never keep a stale script or stylesheet."""
    return f"/static/{name}?v={_static_version(name)}"


@dataclass(frozen=True)
class BlockGroup:
    kind: str  # table | item | label | paragraph
    blocks: list[Block]


def group_blocks(blocks: tuple[Block, ...]) -> list[BlockGroup]:
    """Consecutive blocks of one kind together (list items make one list)."""
    groups: list[BlockGroup] = []
    for b in blocks:
        kind = "table" if isinstance(b, Table) else b.kind
        if groups and groups[-1].kind == kind and kind != "table":
            groups[-1].blocks.append(b)
        else:
            groups.append(BlockGroup(kind, [b]))
    return groups


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static_url=static_url, cite_url=cite_url, safe_url=safe_url)
    env.filters["groupby_kind"] = group_blocks
    return env


templates = Jinja2Templates(env=_environment())


def render_error(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "error.html", {"title": title, "message": message},
                                      status_code=status_code)
