"""What the bureau watches: statistics against its targets, and exports."""
