"""Moderation: the text policy (word lists in ``data/``), image and audio checks, and their findings.

Everything here is plain Python with no Dagster: the asset checks in ``storyvid_assets.assets.moderation``
call these functions and turn the findings into check results and review items.
"""
