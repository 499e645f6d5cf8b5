"""The store: the only package that talks SQL (tables, engines, transactions, migrations)."""
