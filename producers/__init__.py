"""kafka-python glue: publishers and event sources."""
