export type JobType = 'sync' | 'export'

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed'

export type JobEntityType = 'connection'

export interface Job {
  id: string
  job_type: JobType
  status: JobStatus
  user_id: string
  entity_type: JobEntityType | null
  entity_id: string | null
  dagster_run_id: string | null
  dagster_run_url: string | null
  error_message: string | null
  attempts: number
  created_at: string
  updated_at: string
  started_at: string | null
  completed_at: string | null
}

export interface JobList {
  jobs: Job[]
}

export interface JobQuery {
  entity_type?: JobEntityType
  entity_id?: string
  job_type?: JobType
  status?: JobStatus
  limit?: number
}

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed']

export function isTerminalJobStatus(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed'
}

export function isActiveJob(job: Pick<Job, 'status'> | null | undefined): boolean {
  return job?.status === 'pending' || job?.status === 'running'
}
