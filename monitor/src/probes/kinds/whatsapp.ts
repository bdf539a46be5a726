import type { ComponentStatus } from '../../domain/component-status.ts';
import {
  describeFailure,
  type FetchOutcome,
  type FetchRequest,
  type ProbeVerdict,
  STATUS_OF_COMPONENT,
} from '../types.ts';

export interface WhatsAppConfig {
  /** The node whose health to read: a business phone number id, a WABA id (or an app / template id). */
  nodeId: string;
  /** Graph API version (default v23.0). */
  graphVersion?: string;
  /** Graph API base (default https://graph.facebook.com); a local server in tests. */
  baseUrl?: string;
}

/**
 * WhatsApp Business Cloud API health: `GET /<version>/<node>?fields=health_status` with the access token.
 * `can_send_message` is AVAILABLE, LIMITED or BLOCKED overall and per entity (PHONE_NUMBER, WABA, BUSINESS,
 * APP, MESSAGE_TEMPLATE); a BLOCKED entity carries `errors[]` (error_code, error_description,
 * possible_solution), a LIMITED one `additional_info[]` (both read when present). Meta's reference: developers.facebook.com/docs/whatsapp/cloud-api/health-status.
 */
export function whatsappRequests(c: WhatsAppConfig, token: string | null): FetchRequest[] {
  const base = (c.baseUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
  const url = `${base}/${c.graphVersion ?? 'v23.0'}/${encodeURIComponent(c.nodeId)}?fields=health_status`;
  return [{ url, method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} }];
}

const MAP: Record<string, ComponentStatus> = {
  AVAILABLE: 'operational',
  LIMITED: 'partial_outage',
  BLOCKED: 'major_outage',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function evaluateWhatsApp(outcome: FetchOutcome): ProbeVerdict {
  if (!outcome.ok)
    return {
      status: 'unknown',
      latencyMs: outcome.latencyMs,
      detail: `cannot reach the Graph API: ${describeFailure(outcome)}`,
    };
  const r = outcome.response;
  let doc: unknown;
  try {
    doc = JSON.parse(r.body);
  } catch {
    return {
      status: 'unknown',
      latencyMs: r.latencyMs,
      detail: `the Graph API answered HTTP ${r.status} without JSON`,
    };
  }
  if (r.status !== 200 || !isObj(doc)) {
    const err = isObj(doc) && isObj(doc.error) ? doc.error : null;
    const why = err
      ? `${String(err.message ?? 'error')} (code ${String(err.code ?? '?')})`
      : `HTTP ${r.status}`;
    // A rejected token or a Graph outage says nothing certain about sending: unknown, never down.
    return {
      status: 'unknown',
      latencyMs: r.latencyMs,
      detail: `the Graph API refused the health request: ${why}`,
    };
  }
  const hs = doc.health_status;
  if (!isObj(hs) || typeof hs.can_send_message !== 'string')
    return { status: 'unknown', latencyMs: r.latencyMs, detail: 'no health_status in the answer' };
  const overall = hs.can_send_message;
  const entities = (Array.isArray(hs.entities) ? hs.entities : []).filter(isObj).map((e) => ({
    type: String(e.entity_type ?? ''),
    id: String(e.id ?? ''),
    canSendMessage: String(e.can_send_message ?? ''),
    errors: (Array.isArray(e.errors) ? e.errors : []).filter(isObj).map((x) => ({
      code: typeof x.error_code === 'number' ? x.error_code : null,
      description: typeof x.error_description === 'string' ? x.error_description : null,
      solution: typeof x.possible_solution === 'string' ? x.possible_solution : null,
    })),
    additionalInfo: (Array.isArray(e.additional_info) ? e.additional_info : []).filter(
      (x): x is string => typeof x === 'string',
    ),
  }));
  const componentStatus = MAP[overall];
  if (!componentStatus)
    return {
      status: 'unknown',
      latencyMs: r.latencyMs,
      detail: `unknown can_send_message: ${overall}`,
      data: { entities },
    };
  const limited = entities.filter((e) => e.canSendMessage !== 'AVAILABLE');
  const detail =
    limited.length === 0
      ? `can_send_message ${overall}`
      : `can_send_message ${overall}: ${limited
          .map(
            (e) =>
              `${e.type} ${e.canSendMessage}${(e.errors[0]?.description ?? e.additionalInfo[0]) ? ` (${e.errors[0]?.description ?? e.additionalInfo[0]})` : ''}`,
          )
          .join('; ')}`;
  return {
    status: STATUS_OF_COMPONENT[componentStatus],
    latencyMs: r.latencyMs,
    detail,
    componentStatus,
    data: { canSendMessage: overall, entities },
  };
}
