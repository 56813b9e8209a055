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
