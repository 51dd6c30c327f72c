"""Leaf helpers for the hot paths (grouped statements, coalescing, TTL caches, waiters): they import
nothing of ours, so any package may use them."""
