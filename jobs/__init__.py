"""The worker: periodic jobs and (later) outbox delivery, reminders and expiry sweeps."""
