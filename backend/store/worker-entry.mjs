// Entry of the store's worker thread (backend/store/ingest-worker.ts), plain JavaScript so that it
// loads however the backend runs. Loader hooks registered in the main thread do not reach worker
// threads on Node 20, and registering tsx's ESM hooks here would start one more hooks thread
// (~30 MiB); tsx's in-thread CommonJS hook compiles the worker's few modules instead.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
require('tsx/cjs/api').register()
require('./ingest-worker.ts')
