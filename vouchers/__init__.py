"""The domain: rules and use cases. No HTTP and no WeChat/Alipay specifics live here."""
