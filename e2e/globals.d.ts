/**
 * What `e2e/harness.ts` puts on the page, so `page.evaluate(() => webnesia.openDatabase(…))`
 * typechecks in the tests. These exist only in the harness page, never in Node.
 */
import type * as WebnesiaModule from '../src/index.js'

type Webnesia = typeof WebnesiaModule

declare global {
  /** The library, loaded from `src/index.ts` by the harness page. */
  var webnesia: Webnesia
  /** A handle a test keeps open in the page between `evaluate` calls (set by the test). */
  var db: Awaited<ReturnType<Webnesia['openDatabase']>>
  /** Set to `true` by the harness once `webnesia` is there. */
  var harnessReady: boolean | undefined
  /** Set by the harness when loading the library failed: the error's stack or message. */
  var harnessError: string | undefined
  /** A counter a test keeps in the page (e.g. of `peer_rejected` events). */
  var rejections: number | undefined
}
