import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ConnectionCard from '~/components/accounts/ConnectionCard.vue'
import type { Connection } from '~/types/accounts'
import { makeJob } from '../factories'

function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'conn-1',
    institution_id: 'SANDBOXFINANCE_SFIN0000',
    institution_name: 'Sandbox Finance',
    status: 'active',
    status_reason: null,
    access_expires_at: '2026-06-01T00:00:00+00:00',
    created_at: '2026-03-01T10:00:00+00:00',
    updated_at: '2026-03-01T10:00:00+00:00',
    accounts: [
      {
        id: 'acc-1',
        iban: 'GL3343697694912188',
        name: 'Main Account',
        currency: 'EUR',
        owner_name: 'John Doe',
        balances: [
          { balance_type: 'expected', amount: '1500.00', currency: 'EUR', reference_date: null },
          { balance_type: 'interimAvailable', amount: '1913.12', currency: 'EUR', reference_date: null },
        ],
      },
    ],
    latest_sync_job: null,
    last_synced_at: null,
    remaining_daily_syncs: 3,
    ...overrides,
  }
}

describe('ConnectionCard', () => {
  it('shows the connection status and the sync status separately', () => {
    const wrapper = mount(ConnectionCard, {
      props: { connection: connection(), syncJob: makeJob({ status: 'running' }), syncing: true },
    })
    const card = wrapper.get('[data-testid="connection-card"]')
    expect(card.attributes('data-connection-id')).toBe('conn-1')
    expect(wrapper.get('[data-testid="connection-status"]').text()).toContain('Active')
    expect(wrapper.get('[data-testid="sync-status"]').text()).toBe('Syncing…')
  })

  it('disables Refresh with a spinner and "Syncing…" while syncing', async () => {
    const wrapper = mount(ConnectionCard, { props: { connection: connection(), syncing: false } })
    const button = wrapper.get('[data-testid="refresh-button"]')
    expect(button.text()).toBe('Refresh')
    expect(button.attributes('disabled')).toBeUndefined()
    await button.trigger('click')
    expect(wrapper.emitted('refresh')).toEqual([['conn-1']])

    await wrapper.setProps({ syncing: true })
    const busy = wrapper.get('[data-testid="refresh-button"]')
    expect(busy.text()).toBe('Syncing…')
    expect(busy.attributes('disabled')).toBeDefined()
    expect(busy.find('svg.animate-spin').exists()).toBe(true)
  })

  it('offers Reconnect instead of Refresh when the connection is not active', async () => {
    const wrapper = mount(ConnectionCard, {
      props: { connection: connection({ status: 'expired', status_reason: 'Access expired after 90 days' }) },
    })
    expect(wrapper.find('[data-testid="refresh-button"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="connection-status"]').text()).toContain('Expired')
    expect(wrapper.text()).toContain('Access expired after 90 days')
    await wrapper.get('[data-testid="reconnect-button"]').trigger('click')
    expect(wrapper.emitted('reconnect')).toEqual([['conn-1']])
  })

  it('lists accounts with their preferred balance', () => {
    const wrapper = mount(ConnectionCard, { props: { connection: connection() } })
    const row = wrapper.get('[data-testid="account-row"]')
    expect(row.text()).toContain('Main Account')
    expect(row.get('[data-testid="account-balance"]').text()).toMatch(/1,913\.12/)
    expect(row.attributes('aria-expanded')).toBe('false')
  })
})
