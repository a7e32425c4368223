"""Create and drop whole PostgreSQL databases (tests and benchmarks get a fresh one each)."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url


def _admin(admin_url: str, sql: str) -> None:
    import psycopg

    url = make_url(admin_url)
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,  # CREATE/DROP DATABASE cannot run in a transaction
    ) as conn:
        conn.execute(sql.encode())


def create_database(admin_url: str, prefix: str = "aftersales") -> str:
    """A new, empty database on the server of ``admin_url``; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url``, closing its connections."""
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
