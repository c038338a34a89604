// An existing PACS as the station's scale-out (issue 9, part 5): the PACS nodes the station talks to,
// over DICOMweb (QIDO-RS to find a woman's priors, WADO-RS to fetch them, STOW-RS to send results) or
// over DIMSE (C-FIND, C-MOVE to this station's storage SCP, C-STORE), with their schema, the checks
// the panel and the API share, and the status the PACS panel shows. Pure data and types, for both
// processes.

import { z } from 'zod';
import { aeTitleSchema } from './dicom-node.ts';
import type { MessageKey } from './i18n/messages.ts';

/**
 * Characters no name, user or URL of a node may hold: control characters (NUL, line breaks, BEL)
 * and the invisible ones that reorder or hide text (a right-to-left override showed the panel's
 * lines backwards).
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/** What a node's URL may be: http or https, no credentials, query or fragment in it (they go in their own fields). */
export function baseUrlProblem(text: string): MessageKey | null {
  // (common/ has no URL class: both processes share this check, so it is written out)
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(text);
  if (!m || /\s/.test(text) || INVISIBLE.test(text)) return 'pacs.problem.urlInvalid';
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return 'pacs.problem.urlScheme';
  const authority = m[2]!;
  if (authority.includes('@')) return 'pacs.problem.urlCredentials';
  // a host name, IPv4 or [IPv6] address, and an optional port
  const host = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(authority);
  if (!host || (host[2] !== undefined && (Number(host[2]) < 1 || Number(host[2]) > 65535))) return 'pacs.problem.urlInvalid';
  if (m[4] !== undefined || m[5] !== undefined) return 'pacs.problem.urlQuery';
  return null;
}

/** Whether the text is an IPv6 address (eight groups of hex digits, or fewer around one "::"; an IPv4 tail allowed). */
function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups.pop();
    count += 1; // an IPv4 tail is two groups
  }
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

const isIpv4 = (text: string): boolean => /^(\d{1,3})(\.\d{1,3}){3}$/.test(text) && text.split('.').every((n) => Number(n) <= 255);

/** A host name, an IPv4 address or an IPv6 address (without brackets). */
export function hostProblem(text: string): MessageKey | null {
  if (!text) return 'pacs.problem.hostEmpty';
  if (text.includes(':')) return isIpv6(text) ? null : 'pacs.problem.hostInvalid';
  // all digits and dots: an IPv4 address, or nothing
  if (/^[\d.]+$/.test(text)) return isIpv4(text) ? null : 'pacs.problem.hostInvalid';
  const labels = text.split('.');
  const name = text.length <= 253 && labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  return name ? null : 'pacs.problem.hostInvalid';
}

/** How the station talks to a node. */
export const PACS_PROTOCOLS = ['dicomweb', 'dimse'] as const;
export type PacsProtocol = (typeof PACS_PROTOCOLS)[number];

/** A DIMSE node's address: the PACS's AE title (called), its host and port. The station calls with its own AE title (the receiver's). */
export const dimseEndpointSchema = z.strictObject({
  aeTitle: aeTitleSchema,
  host: z.string().trim().max(253).refine((t) => hostProblem(t) === null, 'a host name or an IP address'),
  port: z.number().int().min(1).max(65535),
});
export type DimseEndpoint = z.output<typeof dimseEndpointSchema>;

const baseUrlSchema = z.string().trim().max(2048).superRefine((text, ctx) => {
  const problem = baseUrlProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: `not an http(s) DICOMweb base URL without credentials or query (${problem})` });
}).transform((text) => text.replace(/\/+$/, ''));

const nodeId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, - and _ (at most 32)');

/**
 * A PACS node as the API takes it: DICOMweb (a base URL, and a user and password for basic
 * authentication, what Orthanc and most DICOMweb proxies accept) or DIMSE (AE title, host, port).
 * `password`: absent keeps the one stored for this node id, null removes it; it is kept in the
 * library's settings and never sent back over the API.
 */
/** Why a user name cannot be sent by basic authentication, or null. */
export function usernameProblem(text: string): MessageKey | null {
  // basic authentication sends "user:password": a colon in the user moves the rest into the password
  return text.includes(':') || INVISIBLE.test(text) ? 'pacs.problem.userInvalid' : null;
}

export const pacsNodeInput = z.strictObject({
  id: nodeId,
  name: z.string().trim().min(1).max(64).refine((t) => !INVISIBLE.test(t), 'no control or invisible characters'),
  protocol: z.enum(PACS_PROTOCOLS).default('dicomweb'),
  baseUrl: baseUrlSchema.nullable().default(null),
  dimse: dimseEndpointSchema.nullable().default(null),
  username: z.string().max(256).refine((t) => usernameProblem(t) === null, 'no colon, control or invisible characters').nullable().default(null),
  password: z.string().max(1024).nullable().optional(),
  /** Find and fetch the priors of an opened exam's woman here. */
  queryPriors: z.boolean(),
  /** Send the station's results here (CAD SR, later reports). */
  receiveResults: z.boolean(),
  /** Longest wait for an answer to begin (and between two pieces of one), in seconds. */
  timeoutSeconds: z.number().int().min(1).max(600).default(30),
}).superRefine((node, ctx) => {
  if (node.protocol === 'dicomweb' && !node.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'a DICOMweb node needs its base URL' });
  if (node.protocol === 'dimse' && !node.dimse) ctx.addIssue({ code: 'custom', path: ['dimse'], message: 'a DIMSE node needs its AE title, host and port' });
});

export type PacsNodeInput = z.input<typeof pacsNodeInput>;

/** A node as stored in the library's settings (with its password). */
export interface StoredPacsNode {
  id: string;
  name: string;
  protocol: PacsProtocol;
  /** DICOMweb: the base URL (null for a DIMSE node). */
  baseUrl: string | null;
  /** DIMSE: where the PACS listens (null for a DICOMweb node). */
  dimse: DimseEndpoint | null;
  username: string | null;
  password: string | null;
  queryPriors: boolean;
  receiveResults: boolean;
  timeoutSeconds: number;
}

export const storedPacsNodeSchema = z.strictObject({
  id: nodeId,
  name: z.string().min(1).max(64),
  // nodes stored before DIMSE nodes existed are DICOMweb nodes
  protocol: z.enum(PACS_PROTOCOLS).default('dicomweb'),
  baseUrl: z.string().max(2048).refine((t) => baseUrlProblem(t) === null).nullable(),
  dimse: dimseEndpointSchema.nullable().default(null),
  username: z.string().max(256).nullable(),
  password: z.string().max(1024).nullable(),
  queryPriors: z.boolean(),
  receiveResults: z.boolean(),
  timeoutSeconds: z.number().int().min(1).max(600),
}).refine((n) => (n.protocol === 'dicomweb' ? n.baseUrl !== null : n.dimse !== null));

export const MAX_PACS_NODES = 16;

export const setPacsNodesInput = z.strictObject({
  nodes: z.array(pacsNodeInput).max(MAX_PACS_NODES).superRefine((nodes, ctx) => {
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', message: `node id "${n.id}" is given twice` });
      seen.add(n.id);
    }
  }),
});

/** A node as the API answers it: the password never leaves the main process. */
export type PacsNodeView = Omit<StoredPacsNode, 'password'> & { passwordSet: boolean };

export function nodeView(node: StoredPacsNode): PacsNodeView {
  const { password, ...rest } = node;
  return { ...rest, passwordSet: password !== null && password !== '' };
}

/**
 * The problems of a node's form, as message keys, for the panel (the API refuses the same with
 * 'bad_request'). Empty: it can be saved.
 */
export function pacsNodeProblems(node: { name: string; protocol: PacsProtocol; baseUrl: string; username?: string; aeTitle: string; host: string; port: number; timeoutSeconds: number }): MessageKey[] {
  const problems: MessageKey[] = [];
  if (!node.name.trim()) problems.push('pacs.problem.nameEmpty');
  else if (INVISIBLE.test(node.name)) problems.push('pacs.problem.nameInvalid');
  if (node.protocol === 'dicomweb') {
    if (!node.baseUrl.trim()) problems.push('pacs.problem.urlEmpty');
    else {
      const p = baseUrlProblem(node.baseUrl.trim());
      if (p) problems.push(p);
    }
    const u = usernameProblem(node.username?.trim() ?? '');
    if (u) problems.push(u);
  } else {
    if (!aeTitleSchema.safeParse(node.aeTitle).success) problems.push('pacs.problem.aeTitle');
    const h = hostProblem(node.host.trim());
    if (h) problems.push(h);
    if (!Number.isInteger(node.port) || node.port < 1 || node.port > 65535) problems.push('pacs.problem.port');
  }
  if (!Number.isInteger(node.timeoutSeconds) || node.timeoutSeconds < 1 || node.timeoutSeconds > 600) problems.push('pacs.problem.timeout');
  return problems;
}

/** Why a request to a PACS failed: recorded with the outbox item or the retrieval, shown in the panel (never patient data). */
export const PACS_FAILURES = [
  'unreachable', 'timeout', 'tls', 'auth_refused', 'not_dicomweb', 'server_error', 'refused_by_pacs', 'bad_response', 'too_large',
  'disk_full', 'missing_file', 'node_removed', 'other',
  // DIMSE: the PACS refused the association (AE titles); it does not know this station as a C-MOVE
  // destination; this station's receiver, where C-MOVE sends the study, is off
  'association_rejected', 'destination_unknown', 'receiver_off',
] as const;
export type PacsFailure = (typeof PACS_FAILURES)[number];

/** What "Test connection" found. */
export interface PacsTestResult {
  result: 'reachable' | PacsFailure;
  /** The HTTP status, where one came back. */
  httpStatus: number | null;
  ms: number;
}

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutboxItemView {
  id: number;
  nodeId: string;
  instanceId: number;
  examId: number | null;
  /** What it is (the SOP class's name where known, e.g. Mammography CAD SR). */
  sopClassUid: string;
  state: OutboxState;
  attempts: number;
  queuedAt: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
  failure: { code: PacsFailure; detail: string | null } | null;
}

export interface PacsNodeStatus {
  node: PacsNodeView;
  outbox: { queued: number; sending: number; sent: number; failed: number; nextAttemptAt: string | null };
  /** What the last request to this node found (any process of the library): reachable, or the failure and since when. */
  health: { state: 'unknown' | 'ok' | 'failing'; since: string | null; failure: { code: PacsFailure; detail: string | null } | null; lastOkAt: string | null };
}

/** A search for an opened exam's priors on one node. */
export interface PriorRetrieval {
  nodeId: string;
  state: 'running' | 'done' | 'failed';
  /** Studies of hers the node has, those missing here, those fetched (and imported) in this search. */
  found: number;
  missing: number;
  retrieved: number;
  images: number;
  startedAt: string;
  finishedAt: string | null;
  failure: { code: PacsFailure; detail: string | null } | null;
}

export interface PacsStatus {
  nodes: PacsNodeStatus[];
  /** Items that failed for good (the PACS refused them, their file is gone): newest first. */
  failedItems: OutboxItemView[];
  /** Whether this process sends the outbox (the desktop app and `binome serve` do; a command that ends does not). */
  sending: boolean;
}

/** What an outbox item is, in the reader's words, from its SOP class (a failed item said only "object 24"). */
export function pacsObjectKind(sopClassUid: string): MessageKey {
  if (sopClassUid === '1.2.840.10008.5.1.4.1.1.88.50') return 'pacs.object.cadSr';
  // digital mammography X-ray images, for presentation or for processing
  if (/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.1\.2(\.1)?$/.test(sopClassUid)) return 'pacs.object.image';
  return 'pacs.object.other';
}
