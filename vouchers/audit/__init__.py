"""What an auditor asks of the record: is the voucher history as it was written (the seals of
migration 0018_history_chain), and the daily roots a bureau keeps elsewhere to prove it later."""
