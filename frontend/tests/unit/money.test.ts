import { describe, expect, it } from 'vitest'
import type { Balance } from '~/types/accounts'
import { formatIban, formatMoney, isNegativeAmount, preferredBalance } from '~/utils/money'

const balance = (balance_type: string, amount: string): Balance => ({
  balance_type,
  amount,
  currency: 'EUR',
  reference_date: null,
})

describe('preferredBalance', () => {
  it('prefers interimAvailable, then expected', () => {
    expect(preferredBalance([balance('expected', '1'), balance('interimAvailable', '2')])?.amount).toBe('2')
    expect(preferredBalance([balance('closingBooked', '1'), balance('expected', '3')])?.amount).toBe('3')
  })

  it('falls back to the first balance, or null when there is none', () => {
    expect(preferredBalance([balance('somethingElse', '9')])?.amount).toBe('9')
    expect(preferredBalance([])).toBeNull()
    expect(preferredBalance(null)).toBeNull()
  })
})

describe('formatMoney', () => {
  it('formats decimal strings with their currency', () => {
    expect(formatMoney('1913.12', 'EUR', 'en-GB')).toBe('€1,913.12')
    expect(formatMoney('-45.00', 'GBP', 'en-GB')).toBe('-£45.00')
  })

  it('copes with unknown currencies and missing values', () => {
    expect(formatMoney('12.5', 'XYZ1', 'en-GB')).toBe('12.50 XYZ1')
    expect(formatMoney('12.5', null, 'en-GB')).toBe('12.50')
    expect(formatMoney(null, 'EUR')).toBe('')
  })

  it('detects negative amounts', () => {
    expect(isNegativeAmount('-45.00')).toBe(true)
    expect(isNegativeAmount('45.00')).toBe(false)
  })
})

describe('formatIban', () => {
  it('groups by four characters', () => {
    expect(formatIban('GB33BUKB20201555555555')).toBe('GB33 BUKB 2020 1555 5555 55')
  })
})
