"""Errors shared by the command-line entry points."""


class BadInput(Exception):
    """Bad input for a command: printed as one line, exit status 2."""
