"""The warehouse's read side: the queries behind the CLI's views, the report and the ops gauges."""
