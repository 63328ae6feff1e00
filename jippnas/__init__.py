"""The `jippnas` command: indexing, serving, evaluation."""
