"""Relational persistence shared by every domain package (SQLite by default, PostgreSQL)."""
