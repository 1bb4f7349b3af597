import type { Job } from '~/types/jobs'

export function newerJob(a: Job | null | undefined, b: Job | null | undefined): Job | null {
  if (!a) return b ?? null
  if (!b) return a
  if (a.id === b.id) return Date.parse(a.updated_at) >= Date.parse(b.updated_at) ? a : b
  return Date.parse(a.created_at) >= Date.parse(b.created_at) ? a : b
}

export function latestTimestamp(...values: (string | null | undefined)[]): string | null {
  let best: string | null = null
  let bestTime = -Infinity
  for (const value of values) {
    if (!value) continue
    const time = Date.parse(value)
    if (Number.isFinite(time) && time > bestTime) {
      best = value
      bestTime = time
    }
  }
  return best
}
