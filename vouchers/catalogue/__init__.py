"""The training catalogue (人选培训) and sign-up (报名): classes a trainee's vouchers can pay for,
and sign-ups that the registration scan confirms."""
