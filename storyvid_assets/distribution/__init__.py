"""Distribution, everything after the render: platform limits and post text, the licence gate, the local
library, the upload plan, the idempotent upload state and quota ledgers, and the platform protocol clients
(``clients/``: YouTube, Instagram, TikTok, Facebook)."""
