"""Storage resources: media stores (local folder, S3), the manifest IO manager and the catalog's one door."""
