"""The product loop: flag triage, corrective actions and whether they worked."""
