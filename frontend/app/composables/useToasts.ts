import { readonly, ref } from 'vue'

export type ToastKind = 'success' | 'error' | 'info'

export interface Toast {
  id: number
  kind: ToastKind
  message: string
  connectionId?: string
}

export interface ToastOptions {
  timeoutMs?: number
  connectionId?: string
}

const DEFAULT_TIMEOUTS: Record<ToastKind, number> = {
  success: 5000,
  info: 6000,
  error: 10000,
}

const MAX_TOASTS = 5

const toasts = ref<Toast[]>([])
const timers = new Map<number, ReturnType<typeof setTimeout>>()
let nextId = 1

function dismiss(id: number): void {
  const timer = timers.get(id)
  if (timer !== undefined) {
    clearTimeout(timer)
    timers.delete(id)
  }
  toasts.value = toasts.value.filter((toast) => toast.id !== id)
}

function push(kind: ToastKind, message: string, options: ToastOptions = {}): number {
  const id = nextId++
  const toast: Toast = { id, kind, message }
  if (options.connectionId) toast.connectionId = options.connectionId
  toasts.value = [...toasts.value, toast]
  while (toasts.value.length > MAX_TOASTS) {
    dismiss(toasts.value[0]!.id)
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUTS[kind]
  if (timeout > 0) {
    timers.set(
      id,
      setTimeout(() => dismiss(id), timeout),
    )
  }
  return id
}

function clear(): void {
  for (const timer of timers.values()) clearTimeout(timer)
  timers.clear()
  toasts.value = []
}

export function useToasts() {
  return {
    toasts: readonly(toasts),
    push,
    success: (message: string, options?: ToastOptions) => push('success', message, options),
    error: (message: string, options?: ToastOptions) => push('error', message, options),
    info: (message: string, options?: ToastOptions) => push('info', message, options),
    dismiss,
    clear,
  }
}
