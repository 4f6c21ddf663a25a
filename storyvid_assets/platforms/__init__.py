"""Distribution to social platforms: one client per platform, plus the reliability parts they share.

``retry`` (backoff, Retry-After, circuit breaker), ``state`` (the idempotent upload state machine kept in the
catalog), ``quota`` (per-platform quota ledger and deferral), ``limits`` (checks before any byte is sent),
``licence`` (the licence-evidence gate) and ``publish`` (one upload target, end to end). The platform clients
(``youtube``, ``instagram``, ``tiktok``, ``facebook``) speak each platform's own API.
"""
