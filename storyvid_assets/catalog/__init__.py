"""The catalog database: what was made, where it lives, where it was published, how it performed."""
