import { effectScope, getCurrentScope, onScopeDispose, reactive, shallowReactive } from 'vue'
import type { Job } from '~/types/jobs'
import { isActiveJob } from '~/types/jobs'
import { errorMessage, isApiError } from '~/utils/api'
import { useAccountsApi } from './useAccountsApi'
import { useJobPolling } from './useJobPolling'
import { useToasts } from './useToasts'

type Poller = ReturnType<typeof useJobPolling>

export interface ConnectionSyncsOptions {
  onSettled?: (connectionId: string, job: Job | null) => void
  onTriggerError?: (connectionId: string, error: unknown) => void
  intervalMs?: number
}

export function useConnectionSyncs(options: ConnectionSyncsOptions = {}) {
  const api = useAccountsApi()
  const toasts = useToasts()
  const scope = effectScope(true)
  const pollers = shallowReactive(new Map<string, Poller>())
  const triggering = reactive(new Set<string>())

  let disposed = false

  function pollerFor(connectionId: string): Poller | null {
    if (disposed) return null
    let poller = pollers.get(connectionId)
    if (!poller) {
      poller = scope.run(() =>
        useJobPolling({
          fetchJob: (jobId) => api.getJob(jobId),
          intervalMs: options.intervalMs,
          onFinished: (job) => handleFinished(connectionId, job),
          onError: (error) => handlePollError(connectionId, error),
        }),
      )
      if (!poller) return null
      pollers.set(connectionId, poller)
    }
    return poller
  }

  function handleFinished(connectionId: string, job: Job) {
    if (job.status === 'completed') {
      toasts.success('Sync complete', { connectionId })
    } else {
      toasts.error(`Sync failed: ${job.error_message || 'unknown error'}`, { connectionId })
    }
    options.onSettled?.(connectionId, job)
  }

  function handlePollError(connectionId: string, error: unknown) {
    if (isApiError(error) && error.status === 401) return
    const reason = isApiError(error) && error.status === 404 ? 'the sync job was not found' : errorMessage(error)
    toasts.error(`Could not follow the sync: ${reason}`, { connectionId })
    options.onSettled?.(connectionId, null)
  }

  function isSyncing(connectionId: string): boolean {
    return triggering.has(connectionId) || pollers.get(connectionId)?.isPolling.value === true
  }

  function liveJob(connectionId: string): Job | null {
    return pollers.get(connectionId)?.job.value ?? null
  }

  function follow(connectionId: string, job: Job): void {
    const poller = pollerFor(connectionId)
    if (!poller) return
    if (poller.isPolling.value && poller.jobId.value === job.id) return
    poller.start(job)
  }

  function followIfActive(connectionId: string, job: Job | null | undefined): void {
    if (job && isActiveJob(job)) follow(connectionId, job)
  }

  async function trigger(connectionId: string): Promise<void> {
    if (isSyncing(connectionId)) return
    triggering.add(connectionId)
    try {
      const { job } = await api.triggerConnectionSync(connectionId)
      follow(connectionId, job)
    } catch (error) {
      if (!(isApiError(error) && error.status === 401)) {
        toasts.error(`Could not start the sync: ${errorMessage(error)}`, { connectionId })
      }
      options.onTriggerError?.(connectionId, error)
    } finally {
      triggering.delete(connectionId)
    }
  }

  function stop(connectionId: string): void {
    pollers.get(connectionId)?.stop()
  }

  function prune(keep: Iterable<string>): void {
    const ids = new Set(keep)
    for (const [connectionId, poller] of pollers) {
      if (!ids.has(connectionId)) {
        poller.stop()
        pollers.delete(connectionId)
      }
    }
  }

  function stopAll(): void {
    disposed = true
    scope.stop()
    pollers.clear()
  }

  if (getCurrentScope()) {
    onScopeDispose(stopAll)
  }

  return { isSyncing, liveJob, follow, followIfActive, trigger, stop, prune, stopAll }
}
