import { describe, expect, it } from 'vitest'
import { safeRedirectPath } from '~/utils/session'

describe('safeRedirectPath', () => {
  it('keeps same-site paths with their query', () => {
    expect(safeRedirectPath('/accounts?connection=1&outcome=connected')).toBe('/accounts?connection=1&outcome=connected')
    expect(safeRedirectPath(['/accounts'])).toBe('/accounts')
  })

  it('refuses other sites, odd values and the login page itself', () => {
    for (const value of ['//evil.example', 'https://evil.example', '/\\evil', 'accounts', '', undefined, null, 5, '/login', '/login?redirect=/x']) {
      expect(safeRedirectPath(value)).toBe('/accounts')
    }
  })
})
