import { getCurrentScope, onScopeDispose, ref, type Ref } from 'vue'

export const NOW_REFRESH_MS = 30000

export function useNow(intervalMs = NOW_REFRESH_MS): Ref<number> {
  const now = ref(Date.now())
  const timer = setInterval(() => {
    now.value = Date.now()
  }, intervalMs)
  if (getCurrentScope()) {
    onScopeDispose(() => clearInterval(timer))
  }
  return now
}
