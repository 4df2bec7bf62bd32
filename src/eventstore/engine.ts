/**
 * The event store's engine, loaded with a dynamic `import()` by the public `EventStore` (api.ts)
 * when a tab first asks for the store: the store, aggregates, projections, catch-up subscriptions,
 * ingest of peers' events and the tables.
 *
 * @module
 */
export { StoreEngine } from './store.js'
export { AggregateEngine } from './aggregate.js'
export type { ProjectionRunner } from './projection.js'
