import type { Balance } from '~/types/accounts'

const BALANCE_PREFERENCE = ['interimAvailable', 'expected', 'closingBooked', 'interimBooked']

export function preferredBalance(balances: readonly Balance[] | null | undefined): Balance | null {
  if (!balances?.length) return null
  for (const type of BALANCE_PREFERENCE) {
    const match = balances.find((balance) => balance.balance_type === type)
    if (match) return match
  }
  return balances[0] ?? null
}

export function formatMoney(amount: string | number | null | undefined, currency: string | null | undefined, locale?: string): string {
  if (amount === null || amount === undefined || amount === '') return ''
  const value = typeof amount === 'number' ? amount : Number(amount)
  if (!Number.isFinite(value)) return `${amount}${currency ? ` ${currency}` : ''}`
  if (!currency) {
    return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)
  }
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).format(value)
  } catch {
    return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)} ${currency}`
  }
}

export function isNegativeAmount(amount: string | number | null | undefined): boolean {
  if (amount === null || amount === undefined) return false
  return Number(amount) < 0
}

export function formatIban(iban: string | null | undefined): string {
  if (!iban) return ''
  return iban.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ')
}
