"""Training institutions: registry, staff and their logins, webhooks, notices, staff binding."""
