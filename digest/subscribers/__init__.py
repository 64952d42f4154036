"""The subscriber list's rules: who may join, how they confirm, change their mind and
leave (membership), the anonymous subscribe form (signup), the fields a person gives
about themselves (profile), their own choice on per-person click tracking
(tracking_consent) and lists as CSV files (csv_file).

Every door reaches the list through these functions; the SQL lives in digest.store."""
