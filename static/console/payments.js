// Payment lists: filled in once the payment-list API lands.
