"""Flask blueprints: the only part of the kiosk that knows about HTTP."""

# Each module defines ``bp``; create_app registers them in this order.
BLUEPRINT_MODULES = ("home", "runs", "manager", "printing", "sync", "api", "stations", "badges",
                     "scale", "counts", "visitors", "staff", "reconciliation", "picks", "holds",
                     "reports", "language")
