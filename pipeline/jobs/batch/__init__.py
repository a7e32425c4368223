"""One batch of messages, top to bottom: ``handle.py`` is the sequence, ``stages/`` its steps."""
