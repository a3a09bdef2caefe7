/**
 * An abroad sink for tests: the simulator's HTTPS sink (an openssl self-signed certificate on
 * 127.0.0.1, recording each received payload's id header and body in arrival order).
 */
import { type AbroadSink, type SinkCertificate, startAbroadSink } from '../../simulator/abroad-sink.ts'
import { selfSignedCert } from './test-fixtures.ts'

/** What the sink received. */
export type TestSink = AbroadSink

/** Start a sink; `port` 0 = any. */
export async function startTestSink(dir: string, port = 0, cert: SinkCertificate = selfSignedCert(dir)): Promise<TestSink> {
  return startAbroadSink(cert, port)
}
