import { computed, ref } from 'vue'
import type { CurrentUser, TokenResponse } from '~/types/auth'
import { apiRequest } from '~/utils/api'
import { accessToken, clearAccessToken, setAccessToken } from '~/utils/session'

const currentUser = ref<CurrentUser | null>(null)

export function useAuth() {
  const isAuthenticated = computed(() => Boolean(accessToken.value))

  async function login(email: string, password: string): Promise<void> {
    const result = await apiRequest<TokenResponse>('/api/auth/login', {
      method: 'POST',
      body: { email, password },
      auth: false,
    })
    currentUser.value = null
    setAccessToken(result.access_token)
  }

  function logout(): void {
    clearAccessToken()
    currentUser.value = null
  }

  async function fetchCurrentUser(): Promise<CurrentUser | null> {
    if (!accessToken.value) return null
    currentUser.value = await apiRequest<CurrentUser>('/api/auth/me')
    return currentUser.value
  }

  return {
    token: accessToken,
    user: currentUser,
    isAuthenticated,
    login,
    logout,
    fetchCurrentUser,
    authenticatedFetch: apiRequest,
  }
}
