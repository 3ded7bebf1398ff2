"""The offline demo: a small watchlist from real photos, a rendered crowd scene, the full pipeline."""
