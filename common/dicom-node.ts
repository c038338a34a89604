// The station as a DICOM node: the storage SCP's settings (with their schema, used by the API) and
// its status as the status panel shows it. Pure data and types, for both processes.

import { z } from 'zod';

/** Mammography CAD SR Storage: AI and CAD results, read into marks on arrival and written for each analysis. */
export const MAMMOGRAPHY_CAD_SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.50';

/** The SOP classes the storage SCP accepts (C-STORE), besides Verification (C-ECHO). */
export const ACCEPTED_SOP_CLASSES: readonly { uid: string; name: string }[] = [
  { uid: '1.2.840.10008.5.1.4.1.1.1.2', name: 'Digital Mammography X-Ray Image Storage – For Presentation' },
  { uid: '1.2.840.10008.5.1.4.1.1.1.2.1', name: 'Digital Mammography X-Ray Image Storage – For Processing' },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.3', name: 'Breast Tomosynthesis Image Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.4', name: 'Breast Projection X-Ray Image Storage – For Presentation' },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.5', name: 'Breast Projection X-Ray Image Storage – For Processing' },
  { uid: '1.2.840.10008.5.1.4.1.1.88.50', name: 'Mammography CAD SR Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.7', name: 'Secondary Capture Image Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.7.1', name: 'Multi-frame Single Bit Secondary Capture Image Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.7.2', name: 'Multi-frame Grayscale Byte Secondary Capture Image Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.7.3', name: 'Multi-frame Grayscale Word Secondary Capture Image Storage' },
  { uid: '1.2.840.10008.5.1.4.1.1.7.4', name: 'Multi-frame True Color Secondary Capture Image Storage' },
  // sent by mammography units with every exam; refusing it would make them report the exam as failed
  { uid: '1.2.840.10008.5.1.4.1.1.88.67', name: 'X-Ray Radiation Dose SR Storage' },
];

/** An AE title: 1–16 characters of the DICOM default repertoire, no backslash (spaces around it are not significant). */
export const aeTitleSchema = z.string().trim().min(1).max(16).regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'printable ASCII characters other than backslash');

export const receiverSettingsSchema = z.strictObject({
  /** The storage SCP runs (in the desktop app and `binome serve`). */
  enabled: z.boolean(),
  /** The station's AE title: callers must name it as the called AE title. */
  aeTitle: aeTitleSchema,
  port: z.number().int().min(1).max(65535),
  /** Listen on every network interface (false: 127.0.0.1 only, reachable from this computer alone). */
  openToNetwork: z.boolean(),
  /** Calling AE titles allowed to associate; anyone else is refused (and the refusal logged). Empty: nobody. */
  allowedCallers: z.array(aeTitleSchema).max(200),
});

export type ReceiverSettings = z.output<typeof receiverSettingsSchema>;

export const DEFAULT_RECEIVER_SETTINGS: ReceiverSettings = {
  enabled: true,
  aeTitle: 'BINOME',
  port: 11112,
  openToNetwork: false,
  allowedCallers: [],
};

/** Why an association was refused. */
export type RefusalReason = 'calling_ae' | 'called_ae' | 'busy' | 'closing';

/** One association (or refused attempt) as the status panel shows it. */
export interface AssociationStatus {
  id: number;
  callingAe: string;
  calledAe: string;
  remoteAddress: string;
  startedAt: string;
  endedAt: string | null;
  state: 'active' | 'released' | 'aborted' | 'refused';
  refusal: RefusalReason | null;
  /** Images (and other objects) received and stored; bytes received in them. */
  received: number;
  bytes: number;
  /** C-STOREs answered with a failure. */
  failed: number;
  /** What the import made of them, once the association ended (null before). */
  imported: { imported: number; duplicates: number; rejected: number; exams: number } | null;
}

export interface ReceiverStatus {
  state: 'off' | 'listening' | 'failed';
  /** Why it is not listening: the port is taken (another Binome, another program), not allowed, or another error. */
  failure: null | { code: 'port_in_use' | 'permission_denied' | 'other'; detail: string | null };
  settings: ReceiverSettings;
  /** Where it listens (127.0.0.1, or every interface: 0.0.0.0). */
  host: string | null;
  port: number | null;
  since: string | null;
  totals: { associations: number; received: number; bytes: number; refused: number };
  /** Active associations first, then the latest ended and refused ones. */
  associations: AssociationStatus[];
}
