"""Voucher batches: their rules, publishing, eligibility and roster files, revocation and expiry."""
