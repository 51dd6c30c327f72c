"""After the training: completion, subsidy computation, standards, the bureau's review, the archive."""
