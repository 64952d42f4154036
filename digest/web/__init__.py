"""The web front door: subscriber pages, the admin API (app.py) and operations endpoints (ops.py)."""
