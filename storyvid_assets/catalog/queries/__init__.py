"""Catalog reads and writes, beside the tables they touch."""
