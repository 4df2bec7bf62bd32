/**
 * The benchmark page: exposes every workload as `window.bench.<name>(params)` for `bench/run.mjs`,
 * then sets `window.benchReady`.
 */
import { chunkAll, chunkOpen, chunkRelease, chunkSetup, chunkStep } from './chunked.js'
import { deleteAllIdb } from './common.js'
import { memJson, memLoadLib, memLoadMap, memRelease, memSetup } from './memory.js'
import { p1 } from './p1-read.js'
import { p2, p3 } from './p2-p3-commit.js'
import { p4 } from './p4-bulk.js'
import { p5LoadLib, p5LoadRaw, p5Setup } from './p5-cold.js'
import { p6Create, p6Observe, p6Run, p6StopObserver } from './p6-tabs.js'
import { p8, p8Setup, p8Teardown } from './p8-select.js'
import { p9Check, p9Close, p9Open, p9RawDrop, p9RawRun, p9RawSetup, p9Run, p9Setup } from './p9-tpcb.js'
import { repl } from './repl.js'
import { scaleDrop, scaleLoad, scaleOps, scaleSetup } from './scale.js'
import { syncCopy, syncHold, syncRelease } from './sync.js'
import { sagaBench } from './saga.js'
import { esAppend, esLoad, esProjection } from './es.js'
import { liveFanout, liveLatency, liveUnrelated } from './live.js'
import { primaryBench } from './primary.js'

const bench = {
  deleteAllIdb,
  chunkSetup,
  chunkOpen,
  chunkStep,
  chunkAll,
  chunkRelease,
  p1,
  p2,
  p3,
  p4,
  p5Setup,
  p5LoadLib,
  p5LoadRaw,
  p6Create,
  p6Observe,
  p6Run,
  p6StopObserver,
  p8Setup,
  p8,
  p8Teardown,
  p9Setup,
  p9Open,
  p9Run,
  p9Close,
  p9Check,
  p9RawSetup,
  p9RawRun,
  p9RawDrop,
  memSetup,
  memLoadLib,
  memLoadMap,
  memJson,
  memRelease,
  repl,
  scaleSetup,
  scaleLoad,
  scaleOps,
  scaleDrop,
  syncHold,
  syncCopy,
  syncRelease,
  sagaBench,
  esAppend,
  esProjection,
  esLoad,
  liveLatency,
  liveFanout,
  liveUnrelated,
  primaryBench,
}

declare global {
  interface Window {
    bench: typeof bench
    benchReady: boolean
  }
}

window.bench = bench
window.benchReady = true
