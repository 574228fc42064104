"""Shared test settings: the database the suite runs on.

Set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
integration suite on PostgreSQL; without it, a SQLite file in a temporary folder is used.
"""
