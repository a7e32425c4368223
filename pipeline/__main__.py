"""`python -m pipeline`: the same CLI as `aftersales`."""

from pipeline.cli.main import main

if __name__ == "__main__":  # a spawned child process imports this module too
    main()
