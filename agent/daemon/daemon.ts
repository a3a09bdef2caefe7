/**
 * The agent daemon: opens the shared resources (core.ts), then starts one extension per
 * feature (pipeline, a delivery worker per destination, uplink, ingress last so nothing is
 * accepted before it can be processed) and stops them in reverse order. Constructors do
 * nothing; start()/stop() do the work. `startAgent` installs no signal handlers itself;
 * `runAgent` (the CLI) does: SIGTERM/SIGINT → clean stop → exit 0.
 */
import { pino, type Logger } from 'pino'
import { version } from '../../cli/version.ts'
import type { Inspector } from '../inspect/inspector.ts'
import type { AgentConfig } from './config.ts'
import { openCore, type Core } from './core.ts'
import { HttpsTransport } from './delivery/https.ts'
import { MqttTransport } from './delivery/mqtt.ts'
import { DeliveryWorker } from './delivery/worker.ts'
import type { Accepted, Submission, SubmitOptions } from './ingress/accept.ts'
import { HttpIngress } from './ingress/http.ts'
import { MqttIngress } from './ingress/mqtt.ts'
import { Pipeline } from './pipeline.ts'
import { Uplink, type UplinkOptions } from './uplink/uplink.ts'

/** An extension: one feature with start()/stop(). */
export interface Extension {
  readonly name: string
  start(): Promise<void>
  stop(): Promise<void>
}

/** A running agent. */
export interface RunningAgent {
  /** The in-process library API: accept a payload (resolves once durable). */
  submit(payload: Submission, opts?: SubmitOptions): Promise<Accepted>
  /** Bound HTTP ingress port (0 when HTTP ingress is off). */
  readonly httpPort: number
  /** Bound MQTT ingress port (0 when off). */
  readonly mqttPort: number
  readonly core: Core
  /** Stop every extension in reverse order and close the files. Safe to call twice. */
  stop(): Promise<void>
}

/** Options for tests and embedding. */
export interface StartOptions {
  log?: Logger
  now?: () => number
  inspector?: Inspector
  uplink?: UplinkOptions
}

/** Root logger of the agent: JSON lines on stdout, one child per extension. */
export function agentLogger(level: string): Logger {
  return pino({ level, base: { app: 'adx-agent' } })
}

/**
 * Start the agent.
 * @example const agent = await startAgent(loadAgentConfig('agent.yaml')); process.on('SIGTERM', () => agent.stop())
 * @throws AdxError / OutboxError when a file cannot be opened or a port cannot be bound (after undoing what started).
 */
export async function startAgent(config: AgentConfig, opts: StartOptions = {}): Promise<RunningAgent> {
  const log = opts.log ?? agentLogger(config.log.level)
  const core = await openCore(config, log, { ...(opts.now ? { now: opts.now } : {}), ...(opts.inspector ? { inspector: opts.inspector } : {}) })
  const child = (name: string) => log.child({ component: name })
  const pipeline = new Pipeline({ ...core, log: child('pipeline'), destinations: config.destinations, vehicleId: config.vehicle.id })
  const workers = config.destinations.map((d) => {
    const transport = d.transport === 'https' ? new HttpsTransport(d) : new MqttTransport(d, config.vehicle.id)
    return new DeliveryWorker(d, transport, { outbox: core.outbox, bus: core.bus, audit: core.audit, log: child(`delivery:${d.name}`), vehicleId: config.vehicle.id, now: core.now })
  })
  const uplink = new Uplink({ ...core, log: child('uplink') }, { agentVersion: version, ...opts.uplink })
  const http = config.ingress.http ? new HttpIngress(core.acceptor, config.ingress.http, child('ingress-http')) : undefined
  const mqttIn = config.ingress.mqtt ? new MqttIngress(core.acceptor, config.ingress.mqtt, child('ingress-mqtt')) : undefined
  const extensions: Extension[] = [pipeline, ...workers, uplink, ...(mqttIn ? [mqttIn] : []), ...(http ? [http] : [])]
  const started: Extension[] = []
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      for (const e of started.reverse()) {
        try {
          await e.stop()
        } catch (err) {
          log.error({ err, extension: e.name }, 'extension stop failed')
        }
      }
      await core.close()
      log.info('agent stopped')
    })())
  try {
    for (const e of extensions) {
      await e.start()
      started.push(e)
    }
  } catch (e) {
    await stop()
    throw e
  }
  log.info({ vehicle: config.vehicle.id, destinations: config.destinations.map((d) => d.name), httpPort: http?.port, policyVersion: core.keeper.version }, 'agent started')
  return {
    submit: (p, o) => core.acceptor.submit(p, o),
    get httpPort() {
      return http?.port ?? 0
    },
    get mqttPort() {
      return mqttIn?.port ?? 0
    },
    core,
    stop,
  }
}

/**
 * Run until SIGTERM/SIGINT, then stop cleanly. Resolves with the exit code.
 * Tells systemd READY=1 when NOTIFY_SOCKET is set and `systemd-notify` exists (Type=notify).
 */
export async function runAgent(config: AgentConfig, opts: StartOptions = {}): Promise<number> {
  const agent = await startAgent(config, opts)
  notifySystemd('READY=1')
  return new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      agent.core.log.info({ signal: sig }, 'stopping')
      notifySystemd('STOPPING=1')
      agent.stop().then(
        () => resolve(0),
        () => resolve(1),
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

function notifySystemd(state: string): void {
  if (!process.env.NOTIFY_SOCKET) return
  void import('node:child_process').then(({ execFile }) => execFile('systemd-notify', [state], () => undefined))
}
