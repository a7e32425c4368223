"""The worker's two jobs: a batch of messages (``batch``) and a detection round (``detector``)."""
