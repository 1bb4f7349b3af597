import { setUnauthorizedHandler } from '~/utils/api'

export default defineNuxtPlugin(() => {
  const router = useRouter()
  setUnauthorizedHandler(() => {
    const current = router.currentRoute.value
    if (current.path === '/login') return
    const query = current.fullPath && current.fullPath !== '/' ? { redirect: current.fullPath } : {}
    void router.replace({ path: '/login', query })
  })
})
