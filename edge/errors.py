"""Exceptions every layer may raise. Kept tiny and dependency-free (imported by the pure core)."""


class EdgeError(Exception):
    """A failure to report to the user as one line, without a traceback."""


class ValidationError(EdgeError):
    """Bad input. `problems` is a list of (field, rule) pairs, every problem found, not just the first."""

    def __init__(self, problems, what="input"):
        self.problems = list(problems)
        self.what = what
        lines = ["%s: %s" % (f, r) for f, r in self.problems]
        EdgeError.__init__(self, "invalid %s:\n  %s" % (what, "\n  ".join(lines)))

    def lines(self):
        return ["%s: %s" % (f, r) for f, r in self.problems]


class StorageError(EdgeError):
    """The state dir's storage cannot do what was asked: `kind` is one of
    missing (a database gone beside its media), damaged (corrupt file), readonly (the
    filesystem went read-only or the user may not write), full (no space left), io (other)."""

    def __init__(self, message, kind="io", path=None):
        EdgeError.__init__(self, message)
        self.kind = kind
        self.path = path
