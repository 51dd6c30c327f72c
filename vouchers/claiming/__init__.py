"""A trainee gets a voucher: the card center, the claim with its Redis gate and group writer, the wallet."""
