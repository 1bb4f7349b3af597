import { vi } from 'vitest'

export interface Route {
  method: string
  path: string | RegExp
  respond: (request: { url: string; init: RequestInit }) => Response | Promise<Response>
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

export function stubFetch(routes: Route[]) {
  const calls: { method: string; url: string; init: RequestInit }[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url
    const method = (init.method || 'GET').toUpperCase()
    calls.push({ method, url, init })
    const path = url.split('?')[0]!
    const route = routes.find(
      (candidate) =>
        candidate.method === method &&
        (typeof candidate.path === 'string' ? candidate.path === path : candidate.path.test(path)),
    )
    if (!route) return jsonResponse(404, { detail: `No stub for ${method} ${url}` })
    return route.respond({ url, init })
  })
  vi.stubGlobal('fetch', fetchMock)
  return { fetchMock, calls }
}
