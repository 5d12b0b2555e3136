"""The store's layout version, in a module of its own: read by both engines, by the
upload gate's backup check and by the CLI's quick count, without importing the engines
(or pandas) and without a cycle through :mod:`geo.store`."""

#: The layout version both engines write (see the migrations of each engine).
SCHEMA_VERSION = 4
