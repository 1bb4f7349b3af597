"""The Dagster webserver's GraphQL API, as the dispatcher and the reconciler use it."""

from app.providers.dagster.client import (
    CANCELED,
    FAILURE,
    SUCCESS,
    TERMINAL_STATUSES,
    DagsterClient,
    RunInfo,
    get_dagster_client,
)
from app.providers.dagster.errors import (
    DagsterError,
    DagsterJobNotFound,
    DagsterPermanentError,
    DagsterPythonError,
    DagsterRunConfigInvalid,
    DagsterRunNotFound,
    DagsterUnavailable,
)

__all__ = [
    "CANCELED",
    "FAILURE",
    "SUCCESS",
    "TERMINAL_STATUSES",
    "DagsterClient",
    "DagsterError",
    "DagsterJobNotFound",
    "DagsterPermanentError",
    "DagsterPythonError",
    "DagsterRunConfigInvalid",
    "DagsterRunNotFound",
    "DagsterUnavailable",
    "RunInfo",
    "get_dagster_client",
]
