import { describe, expect, it } from 'vitest'
import { formatDate, formatRelativeTime, toTimestamp } from '~/utils/time'

const NOW = Date.parse('2026-03-01T12:00:00Z')
const ago = (ms: number) => new Date(NOW - ms).toISOString()
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

describe('formatRelativeTime', () => {
  it.each([
    [0, 'just now'],
    [10 * SECOND, 'just now'],
    [44 * SECOND, 'just now'],
    [45 * SECOND, '1 minute ago'],
    [90 * SECOND, '1 minute ago'],
    [5 * MINUTE, '5 minutes ago'],
    [5 * MINUTE + 59 * SECOND, '5 minutes ago'],
    [59 * MINUTE, '59 minutes ago'],
    [HOUR, '1 hour ago'],
    [3 * HOUR + 20 * MINUTE, '3 hours ago'],
    [23 * HOUR + 59 * MINUTE, '23 hours ago'],
    [DAY, '1 day ago'],
    [6 * DAY, '6 days ago'],
    [7 * DAY, '1 week ago'],
    [20 * DAY, '2 weeks ago'],
    [45 * DAY, '1 month ago'],
    [400 * DAY, '1 year ago'],
  ])('%i ms ago reads "%s"', (elapsed, expected) => {
    expect(formatRelativeTime(ago(elapsed), NOW)).toBe(expected)
  })

  it('treats a time slightly in the future (clock skew) as just now', () => {
    expect(formatRelativeTime(new Date(NOW + 30 * SECOND).toISOString(), NOW)).toBe('just now')
  })

  it('understands ISO 8601 with an explicit offset', () => {
    expect(formatRelativeTime('2026-03-01T13:55:00+02:00', NOW)).toBe('5 minutes ago')
    expect(formatRelativeTime('2026-03-01T11:54:59.123456+00:00', NOW)).toBe('5 minutes ago')
  })

  it('accepts Date objects and numbers for both arguments', () => {
    expect(formatRelativeTime(new Date(NOW - 2 * HOUR), new Date(NOW))).toBe('2 hours ago')
    expect(formatRelativeTime(NOW - 3 * MINUTE, NOW)).toBe('3 minutes ago')
  })

  it('returns null when there is no time or it cannot be read', () => {
    expect(formatRelativeTime(null, NOW)).toBeNull()
    expect(formatRelativeTime(undefined, NOW)).toBeNull()
    expect(formatRelativeTime('', NOW)).toBeNull()
    expect(formatRelativeTime('not a date', NOW)).toBeNull()
  })
})

describe('toTimestamp', () => {
  it('parses strings, numbers and dates', () => {
    expect(toTimestamp('2026-03-01T12:00:00Z')).toBe(NOW)
    expect(toTimestamp(NOW)).toBe(NOW)
    expect(toTimestamp(new Date(NOW))).toBe(NOW)
    expect(toTimestamp('garbage')).toBeNull()
  })
})

describe('formatDate', () => {
  it('keeps a date-only value on its calendar day', () => {
    expect(formatDate('2026-02-28', 'en-GB')).toBe('28 Feb 2026')
  })

  it('returns an empty string for a missing date', () => {
    expect(formatDate(null)).toBe('')
  })
})
