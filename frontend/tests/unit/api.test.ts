import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useAuth } from '~/composables/useAuth'
import { ApiError, apiRequest, apiRequestWithStatus, buildApiUrl, setUnauthorizedHandler } from '~/utils/api'
import { clearAccessToken, getAccessToken, setAccessToken } from '~/utils/session'
import { jsonResponse, stubFetch } from '../helpers'

describe('api client', () => {
  const onUnauthorized = vi.fn()

  beforeEach(() => {
    clearAccessToken()
    setUnauthorizedHandler(onUnauthorized)
  })

  afterEach(() => {
    setUnauthorizedHandler(null)
    onUnauthorized.mockReset()
    clearAccessToken()
  })

  it('sends the bearer token and returns the status with the body', async () => {
    setAccessToken('tok-123')
    const { calls } = stubFetch([{ method: 'POST', path: '/api/connections/c1/sync', respond: () => jsonResponse(202, { id: 'j1' }) }])
    const result = await apiRequestWithStatus<{ id: string }>('/api/connections/c1/sync', { method: 'POST' })
    expect(result).toEqual({ status: 202, data: { id: 'j1' } })
    const headers = calls[0]!.init.headers as Record<string, string>
    expect(headers.Authorization).toBe('Bearer tok-123')
    expect(window.sessionStorage.getItem('bankjobs.access_token')).toBe('tok-123')
  })

  it('on 401 drops the token and hands over to the unauthorized handler', async () => {
    setAccessToken('expired')
    stubFetch([{ method: 'GET', path: '/api/connections', respond: () => jsonResponse(401, { detail: 'Not authenticated' }) }])
    const error = await apiRequest('/api/connections').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(401)
    expect(getAccessToken()).toBeNull()
    expect(window.sessionStorage.getItem('bankjobs.access_token')).toBeNull()
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('a wrong password at login shows the server message and does not redirect', async () => {
    stubFetch([
      { method: 'POST', path: '/api/auth/login', respond: () => jsonResponse(401, { detail: 'Incorrect email or password' }) },
    ])
    const error = (await useAuth().login('a@b.c', 'nope').catch((err: unknown) => err)) as ApiError
    expect(error.detail).toBe('Incorrect email or password')
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('stores the token after a successful login', async () => {
    const { calls } = stubFetch([
      { method: 'POST', path: '/api/auth/login', respond: () => jsonResponse(200, { access_token: 'fresh', token_type: 'bearer' }) },
    ])
    const auth = useAuth()
    await auth.login('a@b.c', 'secret')
    expect(auth.isAuthenticated.value).toBe(true)
    expect(getAccessToken()).toBe('fresh')
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ email: 'a@b.c', password: 'secret' })
    auth.logout()
    expect(auth.isAuthenticated.value).toBe(false)
  })

  it('turns a failed connection into a network error (status 0)', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')))
    const error = (await apiRequest('/api/jobs/1').catch((err: unknown) => err)) as ApiError
    expect(error.status).toBe(0)
    expect(error.isNetworkError).toBe(true)
  })

  it('reads validation errors and non-JSON failures', async () => {
    stubFetch([
      { method: 'POST', path: '/api/connections', respond: () => jsonResponse(422, { detail: [{ msg: 'field required' }] }) },
      { method: 'GET', path: '/api/jobs/x', respond: () => new Response('Bad gateway', { status: 502 }) },
    ])
    expect(((await apiRequest('/api/connections', { method: 'POST', body: {} }).catch((e) => e)) as ApiError).detail).toBe(
      'field required',
    )
    const gateway = (await apiRequest('/api/jobs/x').catch((e) => e)) as ApiError
    expect(gateway.status).toBe(502)
    expect(gateway.detail).toContain('502')
  })

  it('builds query strings without empty values', () => {
    expect(buildApiUrl('/api/jobs', { entity_type: 'connection', entity_id: 'a b', status: '', limit: 1, job_type: undefined })).toBe(
      '/api/jobs?entity_type=connection&entity_id=a+b&limit=1',
    )
  })
})
