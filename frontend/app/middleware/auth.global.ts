import { useAuth } from '~/composables/useAuth'
import { safeRedirectPath } from '~/utils/session'

const PUBLIC_PATHS = new Set(['/login'])

export default defineNuxtRouteMiddleware((to) => {
  const { isAuthenticated } = useAuth()
  if (PUBLIC_PATHS.has(to.path)) {
    if (isAuthenticated.value) return navigateTo(safeRedirectPath(to.query.redirect), { replace: true })
    return
  }
  if (!isAuthenticated.value) {
    const query = to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : {}
    return navigateTo({ path: '/login', query }, { replace: true })
  }
})
