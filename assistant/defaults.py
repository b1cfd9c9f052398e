"""Defaults and bounds that commands check before anything heavy is imported (``factcheck --help`` imports
this module, not the retrieval stack)."""

#: Sentences a check retrieves unless told otherwise.
DEFAULT_K = 5
#: The most sentences a check retrieves (the -k flag, config file and environment share this bound).
MAX_K = 50
