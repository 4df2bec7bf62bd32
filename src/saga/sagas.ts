/**
 * The sagas of one handle as the core sees them: the names declared in this tab (a second
 * declaration of a name is refused at once) and the engine, loaded with a dynamic `import()` on
 * the first declaration (engine.ts, with the runner, claims and the saga log), so an app that
 * declares no saga does not ship it. `close()` is synchronous, as a dying tab: it halts the
 * running sagas when the engine is there, and a load still under way ends closed.
 *
 * @module
 */
import { DatabaseClosedError, WebnesiaError } from '../errors.js'
import type { SystemEvent } from '../events/subscriptions.js'
import type { SagaDefinition } from './definition.js'
import type { SagaHost } from './host.js'
import type { SagaDb } from './log.js'
import { Saga } from './saga.js'
import type * as Engine from './engine.js'

type EngineModule = typeof Engine

/** One handle's saga declarations. */
export class Sagas {
  private readonly names = new Set<string>()
  private host: SagaHost | null = null
  private loading: Promise<EngineModule> | null = null
  private closed = false

  /**
   * @param db the handle's public API
   * @param emit emits a system event in every tab of the node (the engine's seam for `saga_stuck`)
   */
  constructor(
    private readonly db: SagaDb,
    private readonly emit: (ev: SystemEvent) => void,
  ) {}

  /** Declares a checked definition. @throws WebnesiaError `'already_exists'` when this tab declared the name already */
  declare<I>(def: SagaDefinition<I>): Saga<I> {
    if (this.names.has(def.name)) throw new WebnesiaError('already_exists', `saga ${JSON.stringify(def.name)} is declared in this tab already`)
    this.names.add(def.name)
    const load = (this.loading ??= import('./engine.js'))
    load.catch(() => {
      if (this.loading === load) this.loading = null // a later declaration tries again
    })
    const engine = load.then((m) => {
      if (this.closed) throw new DatabaseClosedError()
      this.host ??= new m.SagaHost(this.db, this.emit)
      return new m.SagaEngine<I>(this.host, def)
    })
    return new Saga<I>(def.name, engine)
  }

  /** Abandons every saga of this tab at once (nothing is awaited or written). */
  close(): void {
    this.closed = true
    this.host?.close()
  }
}
