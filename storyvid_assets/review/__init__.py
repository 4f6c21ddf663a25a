"""The manual-review queue: items opened by failed moderation checks, decisions, reviewers, CLI and web page."""
