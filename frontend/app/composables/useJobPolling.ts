import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import type { Job } from '~/types/jobs'
import { isTerminalJobStatus } from '~/types/jobs'
import { isTransientError } from '~/utils/api'
import { useAccountsApi } from './useAccountsApi'

export const DEFAULT_POLL_INTERVAL_MS = 2000
export const DEFAULT_MAX_BACKOFF_MS = 30000

export interface PollTimer {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const globalTimer: PollTimer = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
}

export type JobPollerState = 'idle' | 'polling' | 'finished' | 'error' | 'stopped'

export interface JobPollerOptions {
  fetchJob: (jobId: string) => Promise<Job>
  intervalMs?: number
  maxBackoffMs?: number
  timer?: PollTimer
  isRetryable?: (error: unknown) => boolean
  onUpdate?: (job: Job) => void
  onFinished?: (job: Job) => void
  onError?: (error: unknown) => void
  onRetry?: (error: unknown, delayMs: number, failures: number) => void
}

export interface JobPoller {
  start(job: Job | string): void
  stop(): void
  pollNow(): void
  readonly state: JobPollerState
  readonly jobId: string | null
  readonly failures: number
  readonly inFlight: boolean
}

export function backoffDelay(intervalMs: number, failures: number, maxMs: number): number {
  if (failures <= 0) return intervalMs
  return Math.min(intervalMs * 2 ** failures, maxMs)
}

export function createJobPoller(options: JobPollerOptions): JobPoller {
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs)
  const timer = options.timer ?? globalTimer
  const isRetryable = options.isRetryable ?? isTransientError

  let state: JobPollerState = 'idle'
  let jobId: string | null = null
  let handle: unknown = null
  let inFlight = false
  let failures = 0
  let generation = 0

  function clearScheduled() {
    if (handle !== null) {
      timer.clearTimeout(handle)
      handle = null
    }
  }

  function schedule(delayMs: number) {
    clearScheduled()
    handle = timer.setTimeout(() => {
      handle = null
      void tick()
    }, delayMs)
  }

  function finish(job: Job) {
    clearScheduled()
    state = 'finished'
    options.onFinished?.(job)
  }

  async function tick() {
    if (state !== 'polling' || jobId === null) return
    if (inFlight) {
      schedule(intervalMs)
      return
    }
    const currentGeneration = generation
    const id = jobId
    inFlight = true
    let job: Job | null = null
    let failure: unknown = null
    try {
      job = await options.fetchJob(id)
    } catch (error) {
      failure = error ?? new Error('Polling failed')
    } finally {
      inFlight = false
    }
    if (currentGeneration !== generation || state !== 'polling') return

    if (job) {
      failures = 0
      options.onUpdate?.(job)
      if (isTerminalJobStatus(job.status)) finish(job)
      else schedule(intervalMs)
      return
    }

    if (isRetryable(failure)) {
      failures += 1
      const delay = backoffDelay(intervalMs, failures, maxBackoffMs)
      options.onRetry?.(failure, delay, failures)
      schedule(delay)
      return
    }

    clearScheduled()
    state = 'error'
    options.onError?.(failure)
  }

  function start(job: Job | string) {
    const id = typeof job === 'string' ? job : job.id
    if (state === 'polling' && jobId === id) return
    clearScheduled()
    generation += 1
    jobId = id
    failures = 0
    state = 'polling'
    if (typeof job !== 'string') {
      options.onUpdate?.(job)
      if (isTerminalJobStatus(job.status)) {
        finish(job)
        return
      }
    }
    schedule(intervalMs)
  }

  function stop() {
    clearScheduled()
    generation += 1
    if (state === 'polling') state = 'stopped'
  }

  function pollNow() {
    if (state !== 'polling' || inFlight) return
    clearScheduled()
    void tick()
  }

  return {
    start,
    stop,
    pollNow,
    get state() {
      return state
    },
    get jobId() {
      return jobId
    },
    get failures() {
      return failures
    },
    get inFlight() {
      return inFlight
    },
  }
}

export interface UseJobPollingOptions extends Omit<JobPollerOptions, 'fetchJob'> {
  fetchJob?: (jobId: string) => Promise<Job>
}

export function useJobPolling(options: UseJobPollingOptions = {}) {
  const job = shallowRef<Job | null>(null)
  const state = ref<JobPollerState>('idle')
  const error = shallowRef<unknown>(null)
  const failures = ref(0)
  const jobId = ref<string | null>(null)

  const poller = createJobPoller({
    ...options,
    fetchJob: options.fetchJob ?? ((id) => useAccountsApi().getJob(id)),
    onUpdate(updated) {
      job.value = updated
      failures.value = 0
      options.onUpdate?.(updated)
    },
    onFinished(finished) {
      state.value = 'finished'
      options.onFinished?.(finished)
    },
    onError(failure) {
      state.value = 'error'
      error.value = failure
      options.onError?.(failure)
    },
    onRetry(failure, delayMs, count) {
      failures.value = count
      options.onRetry?.(failure, delayMs, count)
    },
  })

  function start(target: Job | string) {
    error.value = null
    poller.start(target)
    jobId.value = poller.jobId
    state.value = poller.state
  }

  function stop() {
    poller.stop()
    state.value = poller.state
  }

  function pollNow() {
    poller.pollNow()
  }

  if (getCurrentScope()) {
    onScopeDispose(stop)
  }

  return {
    job: computed(() => job.value),
    state: computed(() => state.value),
    error: computed(() => error.value),
    failures: computed(() => failures.value),
    jobId: computed(() => jobId.value),
    isPolling: computed(() => state.value === 'polling'),
    start,
    stop,
    pollNow,
  }
}
