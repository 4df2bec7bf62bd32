import { configDefaults, defineConfig } from 'vitest/config'

// `npm run test:soak`: the long runs (`test/**/*.soak.test.ts`), which `npm test` leaves out.
export default defineConfig({
  test: {
    include: ['test/**/*.soak.test.ts'],
    exclude: [...configDefaults.exclude],
    setupFiles: ['fake-indexeddb/auto'],
    testTimeout: 1_800_000,
  },
})
