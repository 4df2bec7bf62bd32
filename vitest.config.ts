import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the long runs: `npm run test:soak` (vitest.soak.config.ts)
    exclude: [...configDefaults.exclude, 'test/**/*.soak.test.ts'],
    setupFiles: ['fake-indexeddb/auto'],
    testTimeout: 20_000,
  },
})
