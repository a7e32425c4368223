"""The aftersales application: domain logic, warehouse, broker lifecycle and CLI."""
