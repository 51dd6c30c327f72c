"""Every typed key the composition root puts on the aiohttp application, in one place.

The platform sandboxes are aiohttp applications of their own (mounted under /_sandbox/...), and
keep their own state keys inside `channels`."""

import aiohttp
from aiohttp import web

from channels.alipay.client import AlipayClient
from channels.alipay.sandbox import SandboxAlipay
from channels.wechat.client import WechatClients
from peixunquan.config import Config
from vouchers.services import Services

CONFIG = web.AppKey("config", Config)
SERVICES = web.AppKey("services", Services)
HTTP = web.AppKey("http", aiohttp.ClientSession)  # the one outbound HTTP session of the app
WECHAT = web.AppKey("wechat", WechatClients)
WECHAT_SANDBOX = web.AppKey("wechat_sandbox", web.Application)  # mounted when api_base is this server
ALIPAY = web.AppKey("alipay", AlipayClient)
ALIPAY_SANDBOX = web.AppKey("alipay_sandbox", SandboxAlipay)  # mounted when gateway_url is this server
BOT_BACKGROUND = web.AppKey("wechat_bot_background", set)  # bot replies still running after the budget
