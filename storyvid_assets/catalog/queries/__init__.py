"""Catalog reads and writes, beside the tables they touch; the only SQL in the package.

``rows`` (the one get-or-create and upsert), ``episodes`` (episodes, stories, videos), ``media`` (media files and
their licence evidence), ``uploads`` (platform uploads, their state, journal and alerts), ``quota``, ``costs``
(cost ledger and budgets) and ``review`` (review items, decisions, audit, reviewers and logins).
"""
