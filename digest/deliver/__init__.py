"""Delivery: claiming delivery rows, the SMTP pool, outcomes, bounces, and transactional mail."""
