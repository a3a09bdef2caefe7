import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { startWorker, withoutFlags, workerExecArgv } from './worker.ts'

const echo = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.postMessage(process.execArgv)")}`)

describe('startWorker', () => {
  it('starts a thread when the process has flags Node refuses in a thread (V8 flags, per-process options), without them', async () => {
    const w = startWorker(echo, { execArgv: ['--max-old-space-size=300', '--trace-warnings', '--stack-size=900', '--title', 'adx', '--no-opt'] })
    const [argv] = await once(w, 'message')
    expect(argv).toEqual(['--trace-warnings'])
    await w.terminate()
  })

  it('passes the flags through when Node takes them all', async () => {
    const w = startWorker(echo, { execArgv: ['--trace-warnings', '--conditions=adx'] })
    const [argv] = await once(w, 'message')
    expect(argv).toEqual(['--trace-warnings', '--conditions=adx'])
    await w.terminate()
  })
})

describe('withoutFlags', () => {
  it('drops the refused flags, and the value of one given as `--flag value`', () => {
    expect(withoutFlags(['--title', 'x', '--a', '--b=1', '--c', '--d', '-v'], ['--title', '--b=1', '--c'])).toEqual(['--a', '--d', '-v'])
    expect(withoutFlags(['--a'], [])).toEqual(['--a'])
  })
})

describe('workerExecArgv', () => {
  it("drops node -e's --input-type, and tsx's loader flags when asked", () => {
    const argv = ['--input-type=module', '--import', '/x/node_modules/tsx/dist/loader.mjs', '--require=/x/node_modules/tsx/dist/preflight.cjs', '--enable-source-maps']
    expect(workerExecArgv(argv)).toEqual(argv.slice(1))
    expect(workerExecArgv(argv, { dropTsx: true })).toEqual(['--enable-source-maps'])
  })
})
