/**
 * The agent as a child process for crash.test.ts (SIGKILLed at random moments):
 * `node --import tsx agent/daemon/crash-child.ts <config.yaml>`. Prints "READY <httpPort>"
 * once the ingress listens.
 */
import { loadAgentConfig } from './config.ts'
import { startAgent } from './daemon.ts'

const config = loadAgentConfig(process.argv[2]!)
const agent = await startAgent(config, { uplink: { resendMs: 3000, reconnectMs: 1000 } })
process.stdout.write(`READY ${agent.httpPort}\n`)
process.on('SIGTERM', () => void agent.stop().then(() => process.exit(0)))
