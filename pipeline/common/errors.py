"""The one exception root of the pipeline; specific errors live beside the code that raises them."""


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose; its message says what to do next."""
