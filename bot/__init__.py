"""WeChat Official Account callback (/wechat/official) and its chat-bot router."""

from bot.callback import setup_routes

__all__ = ["setup_routes"]
