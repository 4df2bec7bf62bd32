/**
 * Vite: the demo's dev server and build, and the page the browser tests load.
 *
 * - `npm run demo` serves the demo (`index.html` → `demo/main.ts`) on 127.0.0.1:$PORT (default 5173).
 * - `npm run build` writes the demo and the e2e harness to `dist-demo/` (the library itself goes to `dist/`).
 * - Playwright starts this server with WEBNESIA_E2E=1: no file watcher, no HMR and no Vite WebSocket,
 *   so nothing ever reloads a page under a test: not a source file saved during the run, and not
 *   Vite's client reconnecting after a page was frozen or the server was slow (it reloads the page
 *   when it reconnects). Browser profiles written under `.tmp/` are not watched either.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

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

export default defineConfig({
  root,
  plugins: e2e ? [withoutViteClient()] : [],
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
