"""Cloud AI providers behind the existing provider interfaces, with fallback chains, budgets and costs.

Modules import their SDKs (openai, anthropic, elevenlabs, diffusers, redis) on first use, so importing
this package stays cheap. ``storyvid_assets.providers.resources.cloud_resources`` builds the resource set
chosen by ``STORYVID_ENV=cloud``.
"""
