"""Training evaluation (培训评价): trainees rate the training their voucher paid for; institutions
see aggregates, bureaus see them per institution and class with the comments, never who wrote them."""
