"""The `aftersales` command line: one module per group of commands (main.py wires them)."""
