"""Alipay: login and face verification, subscribe notices, gateway notifications, card-pack passes."""
