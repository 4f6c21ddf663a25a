"""The manual-review queue: items opened by failed moderation checks, decisions, the gate, CLI and web page."""
