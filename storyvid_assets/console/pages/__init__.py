"""One module per console section; each has ``register(app, console)``."""

from storyvid_assets.console.pages import analytics, channels, dagster_proxy, login, review, runs, spend, uploads, users

PAGE_MODULES = [login, review, channels, users, spend, uploads, analytics, runs, dagster_proxy]
