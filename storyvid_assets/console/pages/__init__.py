"""One module per console section; each has ``register(app, console)``."""

from storyvid_assets.console.pages import login, review

PAGE_MODULES = [login, review]
