"""The offline demo: a watchlist from real photos, a rendered crowd scene, the full pipeline."""
