"""The signed, rotating QR codes of vouchers and classes: keys, reading, the offline check, revocations."""
