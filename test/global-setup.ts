/**
 * vitest globalSetup: one temporary folder per test run. Every test's temporary files (through
 * os.tmpdir(), which reads TMPDIR) go under it, and so do those of the programs the end-to-end
 * tests start (they inherit the environment); it is removed when the run ends, so a run leaves
 * nothing in /tmp even when a test fails before its own clean-up. ADX_KEEP_TEST_TMP=1 keeps it
 * (its path is printed) for a look at what a failing test left.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'adx-test-'))
  process.env.TMPDIR = root
  return () => {
    if (process.env.ADX_KEEP_TEST_TMP === '1') console.log(`test files kept in ${root}`)
    else rmSync(root, { recursive: true, force: true })
  }
}
