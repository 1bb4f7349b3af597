const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const WEEK = 7 * DAY
const MONTH = 30 * DAY
const YEAR = 365 * DAY

export function toTimestamp(value: string | number | Date | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null
  const time = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  return Number.isFinite(time) ? time : null
}

export function formatRelativeTime(
  value: string | number | Date | null | undefined,
  now: number | Date = Date.now(),
  locale = 'en',
): string | null {
  const time = toTimestamp(value)
  const reference = toTimestamp(now)
  if (time === null || reference === null) return null

  const elapsed = reference - time
  if (elapsed < 45 * SECOND) return 'just now'

  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'always' })
  if (elapsed < HOUR) return format.format(-Math.max(1, Math.floor(elapsed / MINUTE)), 'minute')
  if (elapsed < DAY) return format.format(-Math.floor(elapsed / HOUR), 'hour')
  if (elapsed < WEEK) return format.format(-Math.floor(elapsed / DAY), 'day')
  if (elapsed < MONTH) return format.format(-Math.floor(elapsed / WEEK), 'week')
  if (elapsed < YEAR) return format.format(-Math.floor(elapsed / MONTH), 'month')
  return format.format(-Math.floor(elapsed / YEAR), 'year')
}

export function formatDateTime(value: string | null | undefined, locale?: string): string {
  const time = toTimestamp(value)
  if (time === null) return ''
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(time)
}

export function formatDate(value: string | null | undefined, locale?: string): string {
  if (!value) return ''
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value)
  const time = toTimestamp(dateOnly ? `${value}T00:00:00Z` : value)
  if (time === null) return value
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', ...(dateOnly ? { timeZone: 'UTC' } : {}) }).format(time)
}
