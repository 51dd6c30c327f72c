"""WeChat: our async client (wechatpy's is synchronous), its error mapping and a sandbox."""
