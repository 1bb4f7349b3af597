import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SyncStatusBadge from '~/components/accounts/SyncStatusBadge.vue'
import { makeJob } from '../factories'

const NOW = Date.parse('2026-03-01T12:00:00Z')
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString()

describe('SyncStatusBadge', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each(['pending', 'running'] as const)('shows a spinner and "Syncing…" while the job is %s', (status) => {
    const wrapper = mount(SyncStatusBadge, {
      props: { job: makeJob({ status }), lastSyncedAt: minutesAgo(5), now: NOW },
    })
    const root = wrapper.get('[data-testid="sync-status"]')
    expect(root.attributes('data-state')).toBe('syncing')
    expect(root.text()).toBe('Syncing…')
    expect(root.find('svg.animate-spin').exists()).toBe(true)
    expect(root.find('[role="status"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="sync-error"]').exists()).toBe(false)
  })

  it('shows "Syncing…" while a sync is being started, before a job exists', () => {
    const wrapper = mount(SyncStatusBadge, { props: { job: null, syncing: true, now: NOW } })
    expect(wrapper.get('[data-testid="sync-status"]').attributes('data-state')).toBe('syncing')
    expect(wrapper.text()).toContain('Syncing…')
  })

  it('shows "Sync failed" with the error on hover and in an expandable detail', async () => {
    const job = makeJob({
      status: 'failed',
      error_message: 'Rate limit exceeded for account; try again tomorrow',
      attempts: 3,
      completed_at: minutesAgo(1),
    })
    const wrapper = mount(SyncStatusBadge, { props: { job, lastSyncedAt: minutesAgo(90), now: NOW } })

    const root = wrapper.get('[data-testid="sync-status"]')
    expect(root.attributes('data-state')).toBe('failed')
    expect(root.text()).toContain('Sync failed')
    expect(root.find('svg.animate-spin').exists()).toBe(false)

    const badge = root.findAll('[title]').find((element) => element.text().includes('Sync failed'))
    expect(badge?.attributes('title')).toBe(job.error_message)

    const details = root.get('details')
    expect(details.attributes('open')).toBeUndefined()
    expect(wrapper.get('[data-testid="sync-error"]').text()).toBe(job.error_message)
    await details.get('summary').trigger('click')
    expect(details.text()).toContain('Attempts')
    expect(details.text()).toContain('1 hour ago')
  })

  it('says why it failed even when the job has no error message', () => {
    const wrapper = mount(SyncStatusBadge, { props: { job: makeJob({ status: 'failed' }), now: NOW } })
    expect(wrapper.get('[data-testid="sync-error"]').text()).not.toBe('')
  })

  it('shows when the last sync happened, relative to now', () => {
    const wrapper = mount(SyncStatusBadge, {
      props: { job: makeJob({ status: 'completed' }), lastSyncedAt: minutesAgo(5), now: NOW },
    })
    const root = wrapper.get('[data-testid="sync-status"]')
    expect(root.attributes('data-state')).toBe('synced')
    expect(root.text()).toBe('Last synced 5 minutes ago')
  })

  it('says "Never synced" when there is no successful sync', () => {
    const wrapper = mount(SyncStatusBadge, { props: { job: null, lastSyncedAt: null, now: NOW } })
    const root = wrapper.get('[data-testid="sync-status"]')
    expect(root.attributes('data-state')).toBe('never')
    expect(root.text()).toBe('Never synced')
  })

  it('refreshes the relative time about every 30 seconds', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
    const wrapper = mount(SyncStatusBadge, {
      props: { lastSyncedAt: new Date(NOW - 4 * 60_000 - 15_000).toISOString() },
    })
    expect(wrapper.text()).toBe('Last synced 4 minutes ago')

    await vi.advanceTimersByTimeAsync(30_000)
    expect(wrapper.text()).toBe('Last synced 4 minutes ago')
    await vi.advanceTimersByTimeAsync(30_000)
    expect(wrapper.text()).toBe('Last synced 5 minutes ago')

    wrapper.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})
