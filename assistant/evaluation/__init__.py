"""The evaluation suite: datasets, metrics, the runner and its reports (``factcheck eval``)."""
