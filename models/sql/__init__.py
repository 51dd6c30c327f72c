"""The hand-written SQL, in one place: PostgreSQL statements for the hot paths and sweeps. Callers ask
`models.database.is_postgres` and take the ORM's way on SQLite."""
