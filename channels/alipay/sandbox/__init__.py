"""Alipay on this machine: a gateway that verifies our signatures and signs its answers with its
own key pair, test identities for face verification, a record of passes and messages, and
signed notifications posted to our notify endpoint."""

from channels.alipay.sandbox.app import PREFIX, SandboxAlipay, sandbox_app

__all__ = ["PREFIX", "SandboxAlipay", "sandbox_app"]
