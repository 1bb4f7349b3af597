import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, effectScope, h, nextTick } from 'vue'
import {
  backoffDelay,
  createJobPoller,
  useJobPolling,
  type JobPollerOptions,
  type PollTimer,
} from '~/composables/useJobPolling'
import type { Job } from '~/types/jobs'
import { deferred, httpError, makeJob, networkError, withStatus } from '../factories'

type FetchJob = JobPollerOptions['fetchJob']

function poller(fetchJob: FetchJob, extra: Partial<JobPollerOptions> = {}) {
  const onUpdate = vi.fn()
  const onFinished = vi.fn()
  const onError = vi.fn()
  const onRetry = vi.fn()
  const instance = createJobPoller({ fetchJob, onUpdate, onFinished, onError, onRetry, ...extra })
  return { poller: instance, onUpdate, onFinished, onError, onRetry }
}

describe('createJobPoller', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('polls the job every 2 seconds while it is pending or running', async () => {
    const job = makeJob({ status: 'pending' })
    const fetchJob = vi.fn<FetchJob>().mockResolvedValue(withStatus(job, 'running'))
    const { poller: p, onUpdate } = poller(fetchJob)

    p.start(job)
    expect(onUpdate).toHaveBeenCalledWith(job)
    expect(fetchJob).not.toHaveBeenCalled()

    await vi.advanceTimersByTimeAsync(1999)
    expect(fetchJob).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(fetchJob).toHaveBeenCalledWith(job.id)

    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(2000 * 3)
    expect(fetchJob).toHaveBeenCalledTimes(5)
    expect(p.state).toBe('polling')
  })

  it('accepts a job id and polls it', async () => {
    const fetchJob = vi.fn<FetchJob>().mockResolvedValue(makeJob({ id: 'abc', status: 'running' }))
    const { poller: p } = poller(fetchJob)
    p.start('abc')
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledWith('abc')
  })

  it.each(['completed', 'failed'] as const)('stops once the job is %s and reports it once', async (status) => {
    const job = makeJob({ status: 'pending' })
    const terminal = withStatus(job, status, { error_message: status === 'failed' ? 'Bank said no' : null })
    const fetchJob = vi
      .fn<FetchJob>()
      .mockResolvedValueOnce(withStatus(job, 'running'))
      .mockResolvedValueOnce(terminal)
    const { poller: p, onFinished, onUpdate } = poller(fetchJob)

    p.start(job)
    await vi.advanceTimersByTimeAsync(4000)
    expect(fetchJob).toHaveBeenCalledTimes(2)
    expect(onFinished).toHaveBeenCalledTimes(1)
    expect(onFinished).toHaveBeenCalledWith(terminal)
    expect(onUpdate).toHaveBeenLastCalledWith(terminal)
    expect(p.state).toBe('finished')

    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchJob).toHaveBeenCalledTimes(2)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('finishes at once, without fetching, when started with a terminal job', async () => {
    const fetchJob = vi.fn<FetchJob>()
    const done = makeJob({ status: 'completed' })
    const { poller: p, onFinished } = poller(fetchJob)
    p.start(done)
    expect(onFinished).toHaveBeenCalledWith(done)
    expect(p.state).toBe('finished')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetchJob).not.toHaveBeenCalled()
  })

  it('stops on stop() and ignores a response that arrives afterwards', async () => {
    const job = makeJob({ status: 'running' })
    const pending = deferred<Job>()
    const fetchJob = vi.fn<FetchJob>().mockReturnValueOnce(pending.promise).mockResolvedValue(job)
    const { poller: p, onUpdate, onFinished } = poller(fetchJob)

    p.start(job)
    onUpdate.mockClear()
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(1)

    p.stop()
    expect(p.state).toBe('stopped')
    pending.resolve(withStatus(job, 'completed'))
    await vi.advanceTimersByTimeAsync(30_000)

    expect(onUpdate).not.toHaveBeenCalled()
    expect(onFinished).not.toHaveBeenCalled()
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stop() before the first poll cancels it', async () => {
    const fetchJob = vi.fn<FetchJob>()
    const { poller: p } = poller(fetchJob)
    p.start(makeJob())
    p.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetchJob).not.toHaveBeenCalled()
  })

  it('backs off exponentially on network errors and 5xx, capped at 30 seconds', async () => {
    const job = makeJob({ status: 'running' })
    const fetchJob = vi
      .fn<FetchJob>()
      .mockRejectedValueOnce(networkError())
      .mockRejectedValueOnce(httpError(502))
      .mockRejectedValueOnce(httpError(503))
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockRejectedValueOnce(httpError(500))
      .mockRejectedValueOnce(networkError())
      .mockResolvedValue(job)
    const { poller: p, onRetry, onError } = poller(fetchJob)

    const start = Date.now()
    p.start(job)

    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(onRetry.mock.calls.map((call) => call[1])).toEqual([4000])

    await vi.advanceTimersByTimeAsync(3999)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(fetchJob).toHaveBeenCalledTimes(2)

    await vi.advanceTimersByTimeAsync(8000)
    expect(fetchJob).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(16_000)
    expect(fetchJob).toHaveBeenCalledTimes(4)
    await vi.advanceTimersByTimeAsync(29_999)
    expect(fetchJob).toHaveBeenCalledTimes(4)
    await vi.advanceTimersByTimeAsync(1)
    expect(fetchJob).toHaveBeenCalledTimes(5)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(fetchJob).toHaveBeenCalledTimes(6)

    expect(onRetry.mock.calls.map((call) => call[1])).toEqual([4000, 8000, 16_000, 30_000, 30_000, 30_000])
    expect(onRetry.mock.calls.map((call) => call[2])).toEqual([1, 2, 3, 4, 5, 6])
    expect(Date.now() - start).toBe(2000 + 4000 + 8000 + 16_000 + 30_000 + 30_000)

    await vi.advanceTimersByTimeAsync(30_000)
    expect(fetchJob).toHaveBeenCalledTimes(7)
    expect(p.failures).toBe(0)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(8)
    expect(onError).not.toHaveBeenCalled()
    expect(p.state).toBe('polling')
  })

  it('resets the back-off after a successful poll', async () => {
    const job = makeJob({ status: 'running' })
    const fetchJob = vi
      .fn<FetchJob>()
      .mockRejectedValueOnce(networkError())
      .mockRejectedValueOnce(httpError(500))
      .mockResolvedValueOnce(job)
      .mockRejectedValueOnce(networkError())
      .mockResolvedValue(job)
    const { poller: p, onRetry } = poller(fetchJob)

    p.start(job)
    await vi.advanceTimersByTimeAsync(2000)
    await vi.advanceTimersByTimeAsync(4000)
    await vi.advanceTimersByTimeAsync(8000)
    expect(fetchJob).toHaveBeenCalledTimes(3)
    expect(p.failures).toBe(0)

    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(4)
    expect(onRetry.mock.calls.map((call) => call[1])).toEqual([4000, 8000, 4000])

    await vi.advanceTimersByTimeAsync(3999)
    expect(fetchJob).toHaveBeenCalledTimes(4)
    await vi.advanceTimersByTimeAsync(1)
    expect(fetchJob).toHaveBeenCalledTimes(5)
  })

  it('never has two polls in flight for the same job', async () => {
    const job = makeJob({ status: 'running' })
    const slow = deferred<Job>()
    const fetchJob = vi.fn<FetchJob>().mockReturnValueOnce(slow.promise).mockResolvedValue(job)
    const { poller: p } = poller(fetchJob)

    p.start(job)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(p.inFlight).toBe(true)

    p.pollNow()
    p.start(job)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(fetchJob).toHaveBeenCalledTimes(1)

    slow.resolve(job)
    await vi.advanceTimersByTimeAsync(0)
    expect(p.inFlight).toBe(false)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(2)
  })

  it('does not start a second request when restarted while one is in flight', async () => {
    const job = makeJob({ status: 'running' })
    const slow = deferred<Job>()
    let concurrent = 0
    let maxConcurrent = 0
    let calls = 0
    const fetchJob = vi.fn<FetchJob>(async () => {
      calls += 1
      concurrent += 1
      maxConcurrent = Math.max(maxConcurrent, concurrent)
      try {
        return calls === 1 ? await slow.promise : job
      } finally {
        concurrent -= 1
      }
    })
    const { poller: p } = poller(fetchJob)

    p.start(job)
    await vi.advanceTimersByTimeAsync(2000)
    p.stop()
    p.start(job)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetchJob).toHaveBeenCalledTimes(1)

    slow.resolve(job)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob.mock.calls.length).toBeGreaterThanOrEqual(2)
    expect(maxConcurrent).toBe(1)
  })

  it('stops with an error when the job is not found (404)', async () => {
    const job = makeJob({ status: 'running' })
    const notFound = httpError(404, 'Job not found')
    const fetchJob = vi.fn<FetchJob>().mockRejectedValue(notFound)
    const { poller: p, onError, onRetry, onFinished } = poller(fetchJob)

    p.start(job)
    await vi.advanceTimersByTimeAsync(2000)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledWith(notFound)
    expect(onRetry).not.toHaveBeenCalled()
    expect(onFinished).not.toHaveBeenCalled()
    expect(p.state).toBe('error')

    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchJob).toHaveBeenCalledTimes(1)
  })

  it('starting the job it already follows changes nothing; another job replaces it', async () => {
    const first = makeJob({ status: 'running' })
    const second = makeJob({ status: 'pending' })
    const fetchJob = vi.fn<FetchJob>(async (id) => (id === first.id ? first : second))
    const { poller: p } = poller(fetchJob)

    p.start(first)
    await vi.advanceTimersByTimeAsync(1500)
    p.start(first)
    await vi.advanceTimersByTimeAsync(500)
    expect(fetchJob).toHaveBeenCalledTimes(1)

    p.start(second)
    expect(p.jobId).toBe(second.id)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenLastCalledWith(second.id)
    expect(fetchJob).toHaveBeenCalledTimes(2)
  })

  it('uses an injected timer instead of the global one', async () => {
    vi.useRealTimers()
    const scheduled: { callback: () => void; ms: number }[] = []
    const timer: PollTimer = {
      setTimeout: (callback, ms) => scheduled.push({ callback, ms }),
      clearTimeout: () => undefined,
    }
    const job = makeJob({ status: 'running' })
    const fetchJob = vi.fn<FetchJob>().mockRejectedValueOnce(networkError()).mockResolvedValue(withStatus(job, 'completed'))
    const { poller: p, onFinished } = poller(fetchJob, { timer, intervalMs: 1000, maxBackoffMs: 5000 })

    p.start(job)
    expect(scheduled.map((entry) => entry.ms)).toEqual([1000])
    scheduled[0]!.callback()
    await Promise.resolve()
    await Promise.resolve()
    expect(scheduled.map((entry) => entry.ms)).toEqual([1000, 2000])
    scheduled[1]!.callback()
    await vi.waitFor(() => expect(onFinished).toHaveBeenCalledTimes(1))
  })
})

describe('backoffDelay', () => {
  it('doubles per failure from the interval and caps at the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((failures) => backoffDelay(2000, failures, 30_000))).toEqual([
      2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ])
  })
})

describe('useJobPolling', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('exposes the latest job and state as refs', async () => {
    const job = makeJob({ status: 'pending' })
    const fetchJob = vi
      .fn<FetchJob>()
      .mockResolvedValueOnce(withStatus(job, 'running'))
      .mockResolvedValueOnce(withStatus(job, 'completed'))
    const onFinished = vi.fn()
    const scope = effectScope()
    const polling = scope.run(() => useJobPolling({ fetchJob, onFinished }))!

    expect(polling.state.value).toBe('idle')
    polling.start(job)
    expect(polling.isPolling.value).toBe(true)
    expect(polling.jobId.value).toBe(job.id)
    expect(polling.job.value?.status).toBe('pending')

    await vi.advanceTimersByTimeAsync(2000)
    expect(polling.job.value?.status).toBe('running')
    await vi.advanceTimersByTimeAsync(2000)
    expect(polling.job.value?.status).toBe('completed')
    expect(polling.state.value).toBe('finished')
    expect(polling.isPolling.value).toBe(false)
    expect(onFinished).toHaveBeenCalledTimes(1)
    scope.stop()
  })

  it('records the error and stops on a 404', async () => {
    const fetchJob = vi.fn<FetchJob>().mockRejectedValue(httpError(404, 'Job not found'))
    const scope = effectScope()
    const polling = scope.run(() => useJobPolling({ fetchJob }))!
    polling.start(makeJob())
    await vi.advanceTimersByTimeAsync(2000)
    expect(polling.state.value).toBe('error')
    expect((polling.error.value as Error).message).toBe('Job not found')
    scope.stop()
  })

  it('stops polling when the component that owns it unmounts', async () => {
    const job = makeJob({ status: 'running' })
    const fetchJob = vi.fn<FetchJob>().mockResolvedValue(job)
    const Owner = defineComponent({
      setup() {
        const polling = useJobPolling({ fetchJob })
        polling.start(job)
        return () => h('span', polling.state.value)
      },
    })

    const wrapper = mount(Owner)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(wrapper.text()).toBe('polling')

    wrapper.unmount()
    await nextTick()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stops polling when its effect scope is disposed mid-request', async () => {
    const job = makeJob({ status: 'running' })
    const slow = deferred<Job>()
    const fetchJob = vi.fn<FetchJob>().mockReturnValueOnce(slow.promise).mockResolvedValue(job)
    const onUpdate = vi.fn()
    const scope = effectScope()
    const polling = scope.run(() => useJobPolling({ fetchJob, onUpdate }))!
    polling.start(job)
    onUpdate.mockClear()
    await vi.advanceTimersByTimeAsync(2000)

    scope.stop()
    slow.resolve(withStatus(job, 'completed'))
    await vi.advanceTimersByTimeAsync(10_000)
    expect(onUpdate).not.toHaveBeenCalled()
    expect(fetchJob).toHaveBeenCalledTimes(1)
    expect(polling.state.value).toBe('stopped')
  })
})
