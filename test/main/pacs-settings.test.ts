// PACS node settings as a clinic's IT person types them and as someone at the station might abuse
// them: the stored password goes only to the server and user it was given for; names, users and
// URLs with control or invisible characters, and users with a colon, are refused by the API and
// told by the panel's checks (in both languages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeNodes } from '../../main/service/pacs.ts';
import { pacsNodeInput, pacsNodeProblems, pacsObjectKind } from '../../common/pacs.ts';
import type { StoredPacsNode } from '../../common/pacs.ts';
import { translate } from '../../common/i18n/messages.ts';

const stored: StoredPacsNode = {
  id: 'pacs1', name: 'Orthanc', protocol: 'dicomweb', baseUrl: 'https://pacs.clinic.example:8042/dicom-web', dimse: null,
  username: 'station', password: 'S3cret', queryPriors: true, receiveResults: true, timeoutSeconds: 30,
};
const input = (change: Record<string, unknown>) => pacsNodeInput.parse({
  id: 'pacs1', name: 'Orthanc', protocol: 'dicomweb', baseUrl: stored.baseUrl, username: 'station', queryPriors: true, receiveResults: true, ...change,
});

test('the stored password is kept for the same server and user, and dropped when either changes (it is typed again)', () => {
  assert.equal(mergeNodes([input({})], [stored])[0]!.password, 'S3cret', 'unchanged');
  assert.equal(mergeNodes([input({ baseUrl: 'https://pacs.clinic.example:8042/other-path' })], [stored])[0]!.password, 'S3cret', 'another path on the same server');
  for (const baseUrl of ['https://attacker.example/dicom-web', 'http://pacs.clinic.example:8042/dicom-web', 'https://pacs.clinic.example:9999/dicom-web']) {
    assert.equal(mergeNodes([input({ baseUrl })], [stored])[0]!.password, null, `${baseUrl}: not sent to another server`);
  }
  assert.equal(mergeNodes([input({ username: 'someone-else' })], [stored])[0]!.password, null, 'another user');
  assert.equal(mergeNodes([input({ baseUrl: 'https://attacker.example', password: 'typed' })], [stored])[0]!.password, 'typed', 'a password typed for the new server');
  assert.equal(mergeNodes([input({ password: null })], [stored])[0]!.password, null, 'removed');
});

test('names, users and URLs with control or invisible characters, and users with a colon, are refused; the panel says why in both languages', () => {
  for (const name of ['Orthanc\u202e', 'Orth\u0000anc', 'Orthanc\nsecond line', 'A\u200bB']) {
    assert.equal(pacsNodeInput.safeParse({ ...input({}), name }).success, false, JSON.stringify(name));
  }
  assert.equal(pacsNodeInput.safeParse({ ...input({}), name: 'Orthanc (salle 2) — étage' }).success, true);
  for (const username of ['user:name', 'user\u0007']) assert.equal(pacsNodeInput.safeParse({ ...input({}), username }).success, false, JSON.stringify(username));
  assert.equal(pacsNodeInput.safeParse({ ...input({}), baseUrl: 'https://pacs.example/dicom\u0000web' }).success, false);
  const form = { name: 'Orthanc\u202e', protocol: 'dicomweb' as const, baseUrl: 'https://pacs.example/dicom\u0007web', username: 'a:b', aeTitle: '', host: '', port: 104, timeoutSeconds: 30 };
  const problems = pacsNodeProblems(form);
  assert.deepEqual(problems, ['pacs.problem.nameInvalid', 'pacs.problem.urlInvalid', 'pacs.problem.userInvalid']);
  assert.match(translate('fr', 'pacs.problem.userInvalid'), /deux-points/);
});

test('an outbox item is named by what it is (a failed one said only "object 24"), in both languages', () => {
  assert.equal(translate('en', pacsObjectKind('1.2.840.10008.5.1.4.1.1.88.50')), 'Mammography CAD report');
  assert.equal(translate('fr', pacsObjectKind('1.2.840.10008.5.1.4.1.1.1.2')), 'Image de mammographie');
  assert.equal(pacsObjectKind('1.2.840.10008.5.1.4.1.1.1.2.1'), 'pacs.object.image');
  assert.equal(pacsObjectKind('1.2.840.10008.5.1.4.1.1.1.2.10'), 'pacs.object.other');
  assert.equal(translate('en', 'pacs.failedItem', { what: translate('en', 'pacs.object.cadSr'), instance: 24, node: 'Orthanc', failure: 'refused', detail: '' }),
    'Mammography CAD report (object 24) to “Orthanc”: refused');
});
