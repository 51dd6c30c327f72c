"""A router in the style of WeRoBot: handlers registered by message type, by event, by the
exact text a follower sends and by event key prefix; the first match answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.inbound import Inbound

# handler(context, message) -> reply text, or None for no reply ("success")
Handler = Callable[[Any, Inbound], Awaitable[str | None]]


@dataclass
class Router:
    _texts: dict[str, Handler] = field(default_factory=dict)
    _events: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)
    _types: dict[str, Handler] = field(default_factory=dict)
    _default: Handler | None = None

    def text(self, *words: str) -> Callable[[Handler], Handler]:
        """Exact text (spaces around it ignored)."""

        def register(fn: Handler) -> Handler:
            for word in words:
                self._texts[word] = fn
            return fn

        return register

    def event(self, name: str, key_prefix: str = "") -> Callable[[Handler], Handler]:
        """An event by name (lower case), optionally only when EventKey starts with `key_prefix`.
        Longer prefixes are tried first."""

        def register(fn: Handler) -> Handler:
            handlers = self._events.setdefault(name, [])
            handlers.append((key_prefix, fn))
            handlers.sort(key=lambda item: -len(item[0]))
            return fn

        return register

    def message_type(self, msg_type: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._types[msg_type] = fn
            return fn

        return register

    def default(self, fn: Handler) -> Handler:
        self._default = fn
        return fn

    def resolve(self, message: Inbound) -> Handler | None:
        if message.msg_type == "text":
            handler = self._texts.get(message.content.strip())
            if handler:
                return handler
        if message.msg_type == "event":
            for prefix, handler in self._events.get(message.event, []):
                if message.event_key.startswith(prefix):
                    return handler
            return None  # unknown events get no help menu
        return self._types.get(message.msg_type) or self._default
