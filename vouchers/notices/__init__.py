"""Notices out of the outbox: leases for workers, reminders, the subscribe sender, consent, digests."""
