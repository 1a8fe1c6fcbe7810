"""Errors a runtime raises; each carries the stable `code` the task table and the API report."""


class ModelError(Exception):
    code = "model_error"


class WeightsError(ModelError):
    """A role's folder is missing, truncated or in a format we refuse to load."""

    code = "weights_unavailable"


class OutOfMemory(ModelError):
    code = "out_of_memory"


class Cancelled(Exception):
    code = "cancelled"


class Paused(Exception):
    """A task was asked to pause; it stops between two shots and keeps what it made."""

    code = "paused"
