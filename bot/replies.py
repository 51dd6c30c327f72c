"""Reply texts from Jinja2 templates (templates/wechat/*.txt) and the passive reply XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from wechatpy.replies import TextReply

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Plain text inside CDATA, not HTML: no HTML escaping, but see `cdata_safe`.
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined)


def render_text(name: str, **context: Any) -> str:
    return _env.get_template(f"wechat/{name}.txt").render(**context).strip()


def cdata_safe(text: str) -> str:
    """wechatpy's CDATA writer does not escape `]]>`: split it across two CDATA sections so a
    follower's text cannot close ours and inject XML."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def text_reply_xml(our_account: str, follower: str, text: str) -> str:
    return TextReply(source=our_account, target=follower, content=cdata_safe(text)).render()
