"""What can go wrong talking to Dagster, split by what the caller should do about it."""

from __future__ import annotations


class DagsterError(Exception):
    """Base class; ``message`` is fit to show a user (it lands in ``jobs.error_message``)."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DagsterUnavailable(DagsterError):
    """Dagster could not be reached, answered 5xx or timed out: try again later."""

    retryable = True


class DagsterPermanentError(DagsterError):
    """Dagster understood the request and refused it: retrying gives the same answer."""


class DagsterRunConfigInvalid(DagsterPermanentError):
    """The run config does not match the job's config schema."""


class DagsterJobNotFound(DagsterPermanentError):
    """No job of that name in the configured code location and repository."""


class DagsterPythonError(DagsterPermanentError):
    """Dagster raised an exception while handling the request."""


class DagsterRunNotFound(DagsterPermanentError):
    """No run with that id."""
