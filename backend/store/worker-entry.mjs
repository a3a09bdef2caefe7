// Entry of the store's worker thread (backend/store/ingest-worker.ts). Plain JavaScript so that
// it loads in every way the backend runs: where the thread has a TypeScript loader the module
// loads directly; where it has none (loader hooks registered in the main thread do not reach
// worker threads on Node 20; test runners transform in-process) tsx is registered here first.
try {
  await import('./ingest-worker.ts')
} catch (e) {
  if (e?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e
  const { register } = await import('tsx/esm/api')
  register()
  // A new URL: the failed import above stays cached under the plain one.
  await import('./ingest-worker.ts?tsx')
}
