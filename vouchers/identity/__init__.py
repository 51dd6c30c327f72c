"""Who is asking: trainee sessions, bureau users, face verification and binding an account to a person."""
