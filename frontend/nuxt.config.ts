import tailwindcss from '@tailwindcss/vite'
import type { NuxtConfig } from 'nuxt/schema'

type NuxtVitePlugins = NonNullable<NonNullable<NuxtConfig['vite']>['plugins']>

process.env.NUXT_TELEMETRY_DISABLED ??= '1'

const apiProxyBase = (process.env.NUXT_API_PROXY || 'http://127.0.0.1:8000').replace(/\/+$/, '')

export default defineNuxtConfig({
  compatibilityDate: '2026-01-01',
  ssr: false,
  telemetry: false,
  devtools: { enabled: false },
  css: ['~/assets/css/main.css'],
  app: {
    head: {
      title: 'Bank accounts',
      htmlAttrs: { lang: 'en' },
      meta: [
        { name: 'viewport', content: 'width=device-width, initial-scale=1' },
      ],
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
    },
  },
  router: {
    options: {
      hashMode: false,
    },
  },
  vite: {
    plugins: tailwindcss() as unknown as NuxtVitePlugins,
  },
  nitro: {
    prerender: {
      crawlLinks: false,
      ignore: ['/404.html', '/accounts', '/login'],
    },
    devProxy: {
      '/api': {
        target: `${apiProxyBase}/api`,
        changeOrigin: true,
      },
    },
  },
  typescript: {
    strict: true,
    typeCheck: false,
  },
})
