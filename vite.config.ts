/**
 * Vite: the demo's dev server and build, and the page the browser tests load.
 *
 * - `npm run demo` serves the demo (`index.html` → `demo/main.ts`) on 127.0.0.1:$PORT (default 5173).
 *   The same process runs the loopback signaling server for the demo's peers (`signalingServer()`);
 *   with WEBNESIA_SYNC=1 also a y-websocket server the demo joins through (`demo/sync-plugin.ts`).
 * - `npm run build` writes the demo and the e2e harness to `dist-demo/` (the library itself goes to `dist/`),
 *   with a service worker precaching the demo so it loads offline after one visit (vite-plugin-pwa).
 * - Playwright starts this server with WEBNESIA_E2E=1: no file watcher, no HMR and no Vite WebSocket,
 *   so nothing ever reloads a page under a test: not a source file saved during the run, and not
 *   Vite's client reconnecting after a page was frozen or the server was slow (it reloads the page
 *   when it reconnects). Browser profiles written under `.tmp/` are not watched either.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin, type PreviewServer, type ViteDevServer } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { startSignalingServer, type SignalingServer } from './bin/webnesia-signal.js'
import { syncServer } from './demo/sync-plugin.js'

const root = fileURLToPath(new URL('.', import.meta.url))
const e2e = process.env['WEBNESIA_E2E'] === '1'
const port = Number(process.env['PORT'] ?? 5173)

/** Drops Vite's client script from the served HTML: without it, nothing can reload a page under test. */
function withoutViteClient(): Plugin {
  return {
    name: 'webnesia:e2e-without-vite-client',
    apply: 'serve',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace(/<script type="module" src="[^"]*\/@vite\/client"><\/script>\s*/g, ''),
    },
  }
}

/** The signaling server's preferred port (y-webrtc's usual one); taken → any free port. */
const SIGNAL_PORT = 4444

/**
 * Runs `bin/webnesia-signal.js` on 127.0.0.1 next to the dev and preview servers, closes it with
 * them, prints its URL under Vite's, and tells the page where it is: GET `/webnesia-signal.json`
 * → `{ "url": "ws://127.0.0.1:PORT" }` (see `demo/signal.ts`).
 */
function signalingServer(): Plugin {
  const attach = async (server: ViteDevServer | PreviewServer): Promise<void> => {
    const signal: SignalingServer = await startSignalingServer({ port: SIGNAL_PORT, host: '127.0.0.1' }).catch(() =>
      startSignalingServer({ port: 0, host: '127.0.0.1' }),
    )
    const url = `ws://127.0.0.1:${signal.port}`
    server.httpServer?.once('close', () => void signal.close())
    server.middlewares.use((req, res, next) => {
      if (req.url?.split('?')[0] !== '/webnesia-signal.json' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        next()
        return
      }
      res.setHeader('Content-Type', 'application/json')
      res.setHeader('Cache-Control', 'no-store')
      res.end(JSON.stringify({ url }))
    })
    const printUrls = server.printUrls.bind(server)
    server.printUrls = () => {
      printUrls()
      server.config.logger.info(`  ➜  Peers:   signaling on ${url} (loopback only)`)
    }
  }
  return { name: 'webnesia:signaling', configureServer: attach, configurePreviewServer: attach }
}

/** The service worker: precaches the demo page and its assets (not the e2e harness); none in dev. */
const pwa = VitePWA({
  registerType: 'autoUpdate',
  injectRegister: false, // demo/pwa.ts registers it
  devOptions: { enabled: false },
  includeManifestIcons: false, // the glob below already precaches them
  manifest: {
    name: 'webnesia demo',
    short_name: 'webnesia',
    description: 'Mnesia for the browser: an offline-first, transactional, replicated store over IndexedDB',
    theme_color: '#0b63ce',
    background_color: '#f6f7f9',
    display: 'standalone',
    start_url: '/',
    scope: '/',
    icons: [
      { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
      { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
    ],
  },
  workbox: {
    globPatterns: ['**/*.{js,css,html,svg,png,json,webmanifest}'],
    // The plugin adds the manifest itself; the harness is for the tests, not for offline use.
    globIgnores: ['manifest.webmanifest', 'e2e/**', 'assets/harness-*'],
    navigateFallback: 'index.html',
    navigateFallbackDenylist: [/^\/e2e\//, /^\/webnesia-signal\.json$/],
    cleanupOutdatedCaches: true,
  },
})

export default defineConfig({
  root,
  plugins: [...(e2e ? [withoutViteClient()] : []), signalingServer(), syncServer(), pwa],
  server: {
    host: '127.0.0.1',
    port,
    strictPort: true,
    hmr: !e2e,
    ...(e2e ? { ws: false as const } : {}),
    watch: e2e
      ? null
      : { ignored: ['**/.tmp/**', '**/test-results/**', '**/playwright-report/**', '**/dist/**', '**/dist-demo/**'] },
  },
  preview: { host: '127.0.0.1', port, strictPort: true },
  // Scan both pages at start-up, so no dependency is discovered late (which reloads the page mid-test).
  optimizeDeps: { entries: ['index.html', 'e2e/harness.html'] },
  build: {
    outDir: 'dist-demo',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        harness: fileURLToPath(new URL('e2e/harness.html', import.meta.url)),
      },
    },
  },
})
