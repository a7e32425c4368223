"""Cross-cutting modules every layer may use: settings, clock, logs, metrics, tracing, errors."""
