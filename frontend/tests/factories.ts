import type { Job, JobStatus } from '~/types/jobs'
import { ApiError } from '~/utils/api'

let counter = 0

export function makeJob(overrides: Partial<Job> = {}): Job {
  counter += 1
  const created = '2026-03-01T10:00:00+00:00'
  return {
    id: `job-${counter}`,
    job_type: 'sync',
    status: 'pending',
    user_id: 'user-1',
    entity_type: 'connection',
    entity_id: 'conn-1',
    dagster_run_id: null,
    dagster_run_url: null,
    error_message: null,
    attempts: 0,
    created_at: created,
    updated_at: created,
    started_at: null,
    completed_at: null,
    ...overrides,
  }
}

export function withStatus(job: Job, status: JobStatus, extra: Partial<Job> = {}): Job {
  return { ...job, status, ...extra }
}

export function httpError(status: number, detail = `HTTP ${status}`): ApiError {
  return new ApiError(status, detail, { detail })
}

export function networkError(): ApiError {
  return new ApiError(0, 'Could not reach the server')
}

export function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
