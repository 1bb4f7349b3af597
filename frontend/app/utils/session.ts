import { readonly, ref } from 'vue'

const TOKEN_KEY = 'bankjobs.access_token'

function storage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : null
  } catch {
    return null
  }
}

function readStoredToken(): string | null {
  try {
    return storage()?.getItem(TOKEN_KEY) || null
  } catch {
    return null
  }
}

const token = ref<string | null>(readStoredToken())

export const accessToken = readonly(token)

export function getAccessToken(): string | null {
  return token.value
}

export function setAccessToken(value: string): void {
  token.value = value
  try {
    storage()?.setItem(TOKEN_KEY, value)
  } catch {
    /* storage unavailable: keep the token in memory only */
  }
}

export function clearAccessToken(): void {
  token.value = null
  try {
    storage()?.removeItem(TOKEN_KEY)
  } catch {
    /* storage unavailable */
  }
}

export function safeRedirectPath(value: unknown, fallback = '/accounts'): string {
  const raw = Array.isArray(value) ? value[0] : value
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) {
    return fallback
  }
  if (raw === '/login' || raw.startsWith('/login?') || raw.startsWith('/login#')) {
    return fallback
  }
  return raw
}
