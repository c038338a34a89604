// Another vendor's Mammography CAD SR for tests: test/fixtures/vendor-cad-sr.dump (written by hand
// from PS3.16 TID 4000, not by the station's writer) filled in with the UIDs of images in a library and
// built by dcmtk's dump2dcm. Its findings: A, a required mass on RCC (a CIRCLE outline); B, an optional
// calcification cluster on LMLO (its image referenced by reference into the image library); C, a
// not-for-presentation asymmetry on LMLO.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './paths.ts';

export const HAS_DUMP2DCM = spawnSync('dump2dcm', ['--version'], { stdio: 'ignore' }).error === undefined;
export const SKIP_NO_DUMP2DCM = HAS_DUMP2DCM ? false : 'dcmtk\'s dump2dcm is not installed (apt-get install dcmtk)';

export interface VendorSrValues {
  srUid: string; studyUid: string; patientId: string; patientName: string;
  rcc: { sopUid: string; seriesUid: string; sopClassUid: string }; lmloUid: string;
  /** Stored-image pixel centres (pixel centres at integers) of A, B and C; A's circle has this radius. */
  a: [number, number]; aRadius: number; b: [number, number]; c: [number, number];
  /** Another root concept than Mammography CAD Report: a report the station must refuse. */
  wrongRoot?: boolean;
}

/** Writes the vendor's SR to `file`. */
export function writeVendorCadSr(file: string, v: VendorSrValues): void {
  // SR coordinates put the top left corner of the top left pixel at 0\0: a pixel centre is + 0.5
  const sr = (p: [number, number]) => `${p[0] + 0.5}\\${p[1] + 0.5}`;
  const values: Record<string, string> = {
    SR_UID: v.srUid, STUDY: v.studyUid, PATIENT_ID: v.patientId, PATIENT_NAME: v.patientName,
    RCC_UID: v.rcc.sopUid, SERIES: v.rcc.seriesUid, IMAGE_CLASS: v.rcc.sopClassUid, LMLO_UID: v.lmloUid,
    A_CENTER: sr(v.a), A_CIRCLE: `${sr(v.a)}\\${sr([v.a[0] + v.aRadius, v.a[1]])}`, B_CENTER: sr(v.b), C_CENTER: sr(v.c),
  };
  let text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'vendor-cad-sr.dump'), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`@${key}@`, value);
  assert.doesNotMatch(text, /@[A-Z_]+@/, 'every placeholder is filled');
  if (v.wrongRoot) text = text.replace('[111036]', '[111999]');
  const dump = `${file}.dump`;
  fs.writeFileSync(dump, text);
  const built = spawnSync('dump2dcm', [dump, file], { encoding: 'utf8' });
  fs.rmSync(dump, { force: true });
  assert.equal(built.status, 0, built.stderr);
}
