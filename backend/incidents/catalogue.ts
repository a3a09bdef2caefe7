/**
 * Every incident type ADX knows (raised by agents or by the backend), with what it means, the
 * action ADX takes by itself, the default grade and what an officer should do. The grade table is
 * a default: the backend configuration may map any type to another grade (see grades.ts).
 */

/** Grade ids of the rule pack's `incidents.grades` (MIIT data-security incident plan). */
export type GradeId = 'particularly-major' | 'major' | 'relatively-major' | 'general'

/** What ADX knows about one incident type. */
export interface IncidentTypeInfo {
  /** Who raises it. */
  source: 'agent' | 'backend'
  /** One-line meaning. */
  meaning: string
  /** What ADX already did when it raised it. */
  automaticAction: string
  /** Default grade (overridable by configuration). */
  grade: GradeId
  /** What the compliance officer should do. */
  whatToDo: string
}

/** The catalogue, by type code. */
export const incidentCatalogue: Readonly<Record<string, IncidentTypeInfo>> = {
  ADX_INC_KEY_MATERIAL_AT_EGRESS: {
    source: 'agent',
    meaning: 'key material (private key, certificate, vehicle key, UDS seed/key, token) reached the egress inside a payload',
    automaticAction: 'removed from the payload before it left; only the sanitised payload was sent',
    grade: 'major',
    whatToDo: 'contain: find the producing application (payload id), stop it embedding secrets, rotate the exposed key; report within the deadline',
  },
  ADX_INC_CONTROL_AT_EGRESS: {
    source: 'agent',
    meaning: 'a control instruction (e.g. UDS routine, actuator command) reached the egress inside a payload',
    automaticAction: 'removed from the payload before it left',
    grade: 'major',
    whatToDo: 'contain: find the producing application, stop it; check no command channel abroad exists; report within the deadline',
  },
  ADX_INC_IMPORTANT_DATA_HELD: {
    source: 'agent',
    meaning: 'a vehicle held payloads carrying important data (or claiming an exemption) for lack of a filing or reference in force covering the rule, recipient and purpose (one incident per vehicle, rules and day)',
    automaticAction: 'the payloads wait in the vehicle outbox and are re-inspected whenever the signed policy changes',
    grade: 'general',
    whatToDo: 'decide: record the filing or exemption reference (adx filings add …) if the export is lawful and wanted, or leave it held; check the producing application if the data should not be exported at all',
  },
  ADX_INC_FLEET_HOLD: {
    source: 'backend',
    meaning: 'important data or personal information is held fleet-wide for lack of a filing covering it',
    automaticAction: 'the categories were added to the signed fleet policy hold; agents keep such payloads at home',
    // Nothing left: the hold is the containment. Regrade if the hold came late (see LIMIT_CROSSED).
    grade: 'general',
    whatToDo: 'record the missing filing (adx filings add …) or accept the hold; the hold lifts at the next evaluation once a filing covers it',
  },
  ADX_INC_LIMIT_CROSSED: {
    source: 'backend',
    meaning: 'a yearly count reached a limit that no filing in force covers',
    automaticAction: 'fleet-wide policy hold of the governed categories',
    grade: 'relatively-major',
    whatToDo: 'file the required measure (standard contract, security assessment or certification) and record it; report within the deadline',
  },
  ADX_INC_LIMIT_ALERT: {
    source: 'backend',
    meaning: 'a yearly count without a filing reached an alert level (e.g. 80 % of the limit)',
    automaticAction: 'none yet; exports continue until the hold threshold',
    grade: 'general',
    whatToDo: 'start the filing for the measure the limit requires before the count reaches it',
  },
  ADX_INC_FILING_EXPIRED: {
    source: 'backend',
    meaning: 'a filing expired while exports in its scope continued',
    automaticAction: 'the next evaluation holds what no other filing covers',
    grade: 'relatively-major',
    whatToDo: 'renew the filing and record it; list the exports made after expiry from the export log; report within the deadline',
  },
  ADX_INC_ACL_REFUSED: {
    source: 'backend',
    meaning: 'a connection or a topic access was refused (revoked vehicle, ACL violation, oversized packet)',
    automaticAction: 'the connection or message was refused',
    grade: 'general',
    whatToDo: 'check the vehicle; revoke it (adx vehicles revoke) if it is compromised',
  },
  ADX_INC_INGEST_REJECTED: {
    source: 'backend',
    meaning: 'a message from a vehicle was malformed, oversized or named another vehicle',
    automaticAction: 'the message was rejected and not counted',
    grade: 'general',
    whatToDo: 'check the agent version on the vehicle; repeated rejections from one vehicle may mean tampering',
  },
  ADX_INC_POLICY_SIGNATURE: {
    source: 'agent',
    meaning: 'an agent rejected a fleet policy whose signature did not verify',
    automaticAction: 'the agent kept its last good policy',
    grade: 'relatively-major',
    whatToDo: 'treat as a possible attack on the policy channel: check the broker, the signing key and the agent key pin; report within the deadline',
  },
  ADX_INC_LOG_TAMPERED: {
    source: 'backend',
    meaning: 'a hash-chained log (export log or emergency-response log) failed verification',
    automaticAction: 'the break is logged; new lines continue the chain on file',
    grade: 'relatively-major',
    whatToDo: 'preserve the file and its backups, find who had write access, restore from backup; report within the deadline',
  },
  ADX_INC_AGENT_OFFLINE_HELD: {
    source: 'backend',
    meaning: 'an agent holding data has been offline longer than the configured time',
    automaticAction: 'none (the data stays held on the vehicle)',
    grade: 'general',
    whatToDo: 'contact the vehicle operator; held data must not leave until the vehicle reconnects and the policy allows it',
  },
  ADX_INC_OUTBOX_REFUSED: {
    source: 'agent',
    meaning: 'the agent outbox was full and refused a payload',
    automaticAction: 'the payload was refused at ingress (its producer was told)',
    grade: 'general',
    whatToDo: 'check the link and the destination abroad; raise the outbox size if refusals persist',
  },
  ADX_INC_OUTBOX_EVICTED: {
    source: 'agent',
    meaning: 'the agent outbox evicted queued payloads to make room',
    automaticAction: 'lower-priority payloads were dropped, visibly',
    grade: 'general',
    whatToDo: 'as for refusals; evicted payloads are lost and must be re-sent by their producer if needed',
  },
  ADX_INC_UNKNOWN_DESTINATION: {
    source: 'agent',
    meaning: 'a payload named a recipient/destination that is not configured',
    automaticAction: 'held on the vehicle',
    grade: 'general',
    whatToDo: 'if the recipient is legitimate, configure it and cover it by a filing; otherwise find the producing application',
  },
  ADX_INC_FAIL_CLOSED: {
    source: 'agent',
    meaning: 'a payload could not be decoded or classified within limits',
    automaticAction: 'held on the vehicle (fail closed)',
    grade: 'general',
    whatToDo: 'check the producing application and its content type',
  },
}

/** Grade of a type unknown to the catalogue. */
export const UNKNOWN_TYPE_GRADE: GradeId = 'general'
