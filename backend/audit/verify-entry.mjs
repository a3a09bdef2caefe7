// Entry of the audit verifier's thread (verify-thread.ts), plain JavaScript so that it loads
// however the backend runs (see backend/store/worker-entry.mjs). A thread that cannot load says
// so on its reply port and raises the done flag: the main thread waits on that flag, not on events.
import { createRequire } from 'node:module'
import { workerData } from 'node:worker_threads'

const require = createRequire(import.meta.url)
try {
  require('tsx/cjs/api').register()
  require('./verify-thread.ts')
} catch (e) {
  workerData.reply.postMessage({ error: e instanceof Error ? e.message : String(e) })
  const flags = new Int32Array(workerData.flags)
  Atomics.store(flags, 1, 1)
  Atomics.notify(flags, 1)
}
