import type { FetchProbeKind } from '../runner.ts';
import type { FetchOutcome, FetchRequest, ProbeVerdict } from '../types.ts';
import { evaluateFeed, type FeedConfig, feedRequests } from './feed.ts';
import { evaluateHttp, type HttpConfig, httpRequests } from './http.ts';
import { evaluateSelf, selfRequests } from './self.ts';
import { evaluateStatuspage, type StatuspageConfig, statuspageRequests } from './statuspage.ts';
import { evaluateWhatsApp, type WhatsAppConfig, whatsappRequests } from './whatsapp.ts';

export interface KindContext {
  /** The probe's opened secret (the WhatsApp access token; an HTTP check's secret headers as JSON), if any. */
  secret: string | null;
  publicUrl: string;
}

/** Each kind: the requests of one attempt, and the pure verdict on their outcomes. */
export interface ProbeKindSpec {
  requests(config: Record<string, unknown>, ctx: KindContext): FetchRequest[];
  evaluate(config: Record<string, unknown>, outcomes: FetchOutcome[], now: number): ProbeVerdict;
}

function secretHeadersOf(secret: string | null): Record<string, string> {
  if (!secret) return {};
  try {
    const parsed: unknown = JSON.parse(secret);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const noOutcome: FetchOutcome = { ok: false, kind: 'network', message: 'no request made', latencyMs: null };

export const PROBE_KINDS: Record<FetchProbeKind, ProbeKindSpec> = {
  http: {
    requests: (c, ctx) => httpRequests(c as unknown as HttpConfig, secretHeadersOf(ctx.secret)),
    evaluate: (c, o, now) => evaluateHttp(c as unknown as HttpConfig, o[0] ?? noOutcome, now),
  },
  statuspage: {
    requests: (c) => statuspageRequests(c as unknown as StatuspageConfig),
    evaluate: (c, o) => evaluateStatuspage(c as unknown as StatuspageConfig, o[0] ?? noOutcome),
  },
  feed: {
    requests: (c) => feedRequests(c as unknown as FeedConfig),
    evaluate: (c, o, now) => evaluateFeed(c as unknown as FeedConfig, o[0] ?? noOutcome, now),
  },
  whatsapp: {
    requests: (c, ctx) => whatsappRequests(c as unknown as WhatsAppConfig, ctx.secret),
    evaluate: (_c, o) => evaluateWhatsApp(o[0] ?? noOutcome),
  },
  self: {
    requests: (_c, ctx) => selfRequests(ctx.publicUrl),
    evaluate: (_c, o) => evaluateSelf(o),
  },
};
