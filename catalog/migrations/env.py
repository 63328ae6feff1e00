"""Alembic environment: migrations run on the connection the catalog hands over
(``config.attributes["connection"]``), or on the URL given to the command line."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from catalog.schema import metadata

config = context.config


def run(connection: sa.Connection) -> None:
    # render_as_batch: SQLite alters tables by copying them; PostgreSQL ignores it.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # the alembic command line: `-x url=...` overrides alembic.ini's sqlalchemy.url
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with sa.create_engine(url).connect() as conn:
        run(conn)
