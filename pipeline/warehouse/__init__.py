"""The feedback warehouse: SQLAlchemy tables, sessions, repositories and migrations."""
