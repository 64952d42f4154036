"""The running service: the composition root that wires the web app, the scheduler and
the sender loops together (service), and the APScheduler adapter (scheduler)."""
