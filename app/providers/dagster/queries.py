"""GraphQL documents the client sends besides those dagster-graphql ships."""

# Only fields stored on the run record: startTime / endTime may make Dagster read each run's
# event log, which turns a batch of 200 runs into seconds of work.
RUN_FIELDS = """
fragment BankjobsRunFields on Run {
  runId
  jobName
  status
  tags { key value }
}
"""

RUNS_BY_IDS_QUERY = (
    """
query BankjobsRunsByIds($runIds: [String!]!, $limit: Int!) {
  runsOrError(filter: {runIds: $runIds}, limit: $limit) {
    __typename
    ... on Runs { results { ...BankjobsRunFields } }
    ... on InvalidPipelineRunsFilterError { message }
    ... on PythonError { message }
  }
}
"""
    + RUN_FIELDS
)

RUNS_BY_TAG_QUERY = (
    """
query BankjobsRunsByTag($tags: [ExecutionTag!]!, $limit: Int!) {
  runsOrError(filter: {tags: $tags}, limit: $limit) {
    __typename
    ... on Runs { results { ...BankjobsRunFields } }
    ... on InvalidPipelineRunsFilterError { message }
    ... on PythonError { message }
  }
}
"""
    + RUN_FIELDS
)

# The events of finished runs, for the reason they failed: the step failure (the user's
# exception), the run failure, or an engine error (e.g. the code location did not load).
RUN_FAILURES_QUERY = """
query BankjobsRunFailures($runIds: [String!]!, $limit: Int!) {
  runsOrError(filter: {runIds: $runIds}, limit: $limit) {
    __typename
    ... on Runs {
      results {
        runId
        eventConnection {
          events {
            __typename
            ... on MessageEvent { message stepKey }
            ... on ErrorEvent { error { message className causes { message className } } }
          }
        }
      }
    }
    ... on InvalidPipelineRunsFilterError { message }
    ... on PythonError { message }
  }
}
"""
