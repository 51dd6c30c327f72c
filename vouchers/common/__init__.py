"""What every context uses: errors, clock, policy, personal data, tokens, history and outbox rows."""
