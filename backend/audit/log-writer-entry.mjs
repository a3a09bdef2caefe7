// Entry of the audit export's writer thread (log-writer-thread.ts), plain JavaScript so that it
// loads however the backend runs (see backend/store/worker-entry.mjs: tsx's in-thread CommonJS
// hook compiles the thread's one module).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
require('tsx/cjs/api').register()
require('./log-writer-thread.ts')
