"""The steps of a batch that need more than the archive: enrichment, case book, erasure, detection
marks and the product loop, each a plain callable over a ``Batch``."""
