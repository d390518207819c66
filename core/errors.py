"""The one error type a command turns into a one-line message instead of a traceback.

Components raise subclasses of `UserError` for failures the user can fix (a database
that cannot be reached, a bucket that does not exist); the command line prints the
message and exits non-zero.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix; its message is one line that says what to do."""
