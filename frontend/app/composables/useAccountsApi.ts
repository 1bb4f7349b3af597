import type { Connection, ConnectionLink, ConnectionList, Institution, TransactionPage } from '~/types/accounts'
import type { Job, JobList, JobQuery } from '~/types/jobs'
import { apiRequest, apiRequestWithStatus } from '~/utils/api'

export interface TriggeredSync {
  job: Job
  alreadyRunning: boolean
}

const enc = encodeURIComponent

async function listConnections(): Promise<Connection[]> {
  const result = await apiRequest<ConnectionList>('/api/connections')
  return result.connections
}

async function triggerConnectionSync(connectionId: string): Promise<TriggeredSync> {
  const { status, data } = await apiRequestWithStatus<Job>(`/api/connections/${enc(connectionId)}/sync`, {
    method: 'POST',
  })
  return { job: data, alreadyRunning: status === 200 }
}

function getJob(jobId: string, signal?: AbortSignal): Promise<Job> {
  return apiRequest<Job>(`/api/jobs/${enc(jobId)}`, { signal })
}

async function listJobs(query: JobQuery = {}): Promise<Job[]> {
  const result = await apiRequest<JobList>('/api/jobs', { query: { ...query } })
  return result.jobs
}

async function getLatestSyncJob(connectionId: string): Promise<Job | null> {
  const jobs = await listJobs({ entity_type: 'connection', entity_id: connectionId, job_type: 'sync', limit: 1 })
  return jobs[0] ?? null
}

function listInstitutions(country: string): Promise<Institution[]> {
  return apiRequest<Institution[]>('/api/institutions', { query: { country } })
}

function createConnection(institutionId: string): Promise<ConnectionLink> {
  return apiRequest<ConnectionLink>('/api/connections', {
    method: 'POST',
    body: { institution_id: institutionId },
  })
}

function reconnectConnection(connectionId: string): Promise<ConnectionLink> {
  return apiRequest<ConnectionLink>(`/api/connections/${enc(connectionId)}/reconnect`, { method: 'POST' })
}

function listTransactions(accountId: string, limit = 20, offset = 0): Promise<TransactionPage> {
  return apiRequest<TransactionPage>(`/api/accounts/${enc(accountId)}/transactions`, {
    query: { limit, offset },
  })
}

export function useAccountsApi() {
  return {
    listConnections,
    triggerConnectionSync,
    getJob,
    listJobs,
    getLatestSyncJob,
    listInstitutions,
    createConnection,
    reconnectConnection,
    listTransactions,
  }
}
