import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { useConnectionSyncs } from '~/composables/useConnectionSyncs'
import { useToasts } from '~/composables/useToasts'
import type { Job } from '~/types/jobs'
import { setUnauthorizedHandler } from '~/utils/api'
import { makeJob, withStatus } from '../factories'
import { jsonResponse, stubFetch } from '../helpers'

function setup() {
  const onSettled = vi.fn()
  const onTriggerError = vi.fn()
  const scope = effectScope()
  const syncs = scope.run(() => useConnectionSyncs({ onSettled, onTriggerError }))!
  return { syncs, scope, onSettled, onTriggerError }
}

function toastMessages() {
  return useToasts().toasts.value.map((toast) => `${toast.kind}: ${toast.message}`)
}

describe('useConnectionSyncs', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    useToasts().clear()
    setUnauthorizedHandler(null)
  })

  afterEach(() => {
    useToasts().clear()
    vi.useRealTimers()
  })

  it('triggers a sync, polls it every 2 s and reports success', async () => {
    const job = makeJob({ id: 'job-a', entity_id: 'c1', status: 'pending' })
    const states: Job[] = [withStatus(job, 'running'), withStatus(job, 'completed')]
    const { calls } = stubFetch([
      { method: 'POST', path: '/api/connections/c1/sync', respond: () => jsonResponse(202, job) },
      { method: 'GET', path: '/api/jobs/job-a', respond: () => jsonResponse(200, states.shift()) },
    ])
    const { syncs, scope, onSettled } = setup()

    const triggered = syncs.trigger('c1')
    expect(syncs.isSyncing('c1')).toBe(true)
    await triggered
    expect(syncs.isSyncing('c1')).toBe(true)
    expect(syncs.liveJob('c1')?.status).toBe('pending')

    await vi.advanceTimersByTimeAsync(2000)
    expect(syncs.liveJob('c1')?.status).toBe('running')
    expect(onSettled).not.toHaveBeenCalled()

    await vi.advanceTimersByTimeAsync(2000)
    expect(syncs.isSyncing('c1')).toBe(false)
    expect(toastMessages()).toEqual(['success: Sync complete'])
    expect(onSettled).toHaveBeenCalledWith('c1', expect.objectContaining({ status: 'completed' }))
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'POST /api/connections/c1/sync',
      'GET /api/jobs/job-a',
      'GET /api/jobs/job-a',
    ])
    scope.stop()
  })

  it('follows the job returned by a 200 (sync already running) and reports its failure', async () => {
    const running = makeJob({ id: 'job-b', entity_id: 'c1', status: 'running' })
    stubFetch([
      { method: 'POST', path: '/api/connections/c1/sync', respond: () => jsonResponse(200, running) },
      {
        method: 'GET',
        path: '/api/jobs/job-b',
        respond: () => jsonResponse(200, withStatus(running, 'failed', { error_message: 'Bank unavailable' })),
      },
    ])
    const { syncs, scope } = setup()
    await syncs.trigger('c1')
    expect(syncs.liveJob('c1')?.id).toBe('job-b')
    await vi.advanceTimersByTimeAsync(2000)
    expect(toastMessages()).toEqual(['error: Sync failed: Bank unavailable'])
    expect(syncs.isSyncing('c1')).toBe(false)
    scope.stop()
  })

  it('does not trigger twice while a sync is running', async () => {
    const job = makeJob({ id: 'job-c', status: 'pending' })
    const { calls } = stubFetch([
      { method: 'POST', path: '/api/connections/c1/sync', respond: () => jsonResponse(202, job) },
      { method: 'GET', path: '/api/jobs/job-c', respond: () => jsonResponse(200, withStatus(job, 'running')) },
    ])
    const { syncs, scope } = setup()
    await Promise.all([syncs.trigger('c1'), syncs.trigger('c1')])
    await syncs.trigger('c1')
    expect(calls.filter((call) => call.method === 'POST')).toHaveLength(1)
    scope.stop()
  })

  it('reports a refused sync (409) and lets the page reload', async () => {
    stubFetch([
      {
        method: 'POST',
        path: '/api/connections/c1/sync',
        respond: () => jsonResponse(409, { detail: 'Connection is expired; reconnect the bank first' }),
      },
    ])
    const { syncs, scope, onTriggerError } = setup()
    await syncs.trigger('c1')
    expect(syncs.isSyncing('c1')).toBe(false)
    expect(toastMessages()).toEqual(['error: Could not start the sync: Connection is expired; reconnect the bank first'])
    expect(onTriggerError).toHaveBeenCalledTimes(1)
    scope.stop()
  })

  it('follows a job found on page load only while it is pending or running', async () => {
    const { calls } = stubFetch([
      { method: 'GET', path: /^\/api\/jobs\//, respond: () => jsonResponse(200, makeJob({ status: 'running' })) },
    ])
    const { syncs, scope } = setup()
    syncs.followIfActive('c1', makeJob({ status: 'completed' }))
    syncs.followIfActive('c2', null)
    syncs.followIfActive('c3', makeJob({ status: 'running' }))
    expect(syncs.isSyncing('c1')).toBe(false)
    expect(syncs.isSyncing('c2')).toBe(false)
    expect(syncs.isSyncing('c3')).toBe(true)
    await vi.advanceTimersByTimeAsync(2000)
    expect(calls).toHaveLength(1)
    scope.stop()
  })

  it('stops every poll when its owner goes away', async () => {
    const { calls } = stubFetch([
      { method: 'GET', path: /^\/api\/jobs\//, respond: () => jsonResponse(200, makeJob({ status: 'running' })) },
    ])
    const { syncs, scope } = setup()
    syncs.follow('c1', makeJob({ status: 'running' }))
    syncs.follow('c2', makeJob({ status: 'pending' }))
    await vi.advanceTimersByTimeAsync(2000)
    expect(calls).toHaveLength(2)
    scope.stop()
    await vi.advanceTimersByTimeAsync(30_000)
    expect(calls).toHaveLength(2)
  })
})
