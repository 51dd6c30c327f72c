"""Typed keys for what the composition root puts on the aiohttp application."""

import aiohttp
from aiohttp import web

from peixunquan.config import Config
from vouchers.services import Services

CONFIG = web.AppKey("config", Config)
SERVICES = web.AppKey("services", Services)
HTTP = web.AppKey("http", aiohttp.ClientSession)  # the one outbound HTTP session of the app
