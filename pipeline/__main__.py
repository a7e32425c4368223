"""`python -m pipeline`: the same CLI as `aftersales`."""

from pipeline.cli import main

main()
