"""Faust glue: the stream processors."""
