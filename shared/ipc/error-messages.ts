// The English text of every error the admin handlers (main/admin/**) throw
// with a message key. One table: the handlers build their English `message`
// from it (logs, CLI, the fallback of a UI without the key), and the
// renderer's catalogue spreads it (renderer/src/i18n/en/errors.ts) while
// zh-CN/errors.ts translates it. An IpcError carries the key and its params,
// so the renderer shows the sentence in the chosen language.
//
// {name} placeholders are filled from the params; a param that holds a reason
// from deeper code ({reason}) is that code's English sentence.
import { FORM_MESSAGES_EN } from '../forms/messages.js';

export const ERROR_MESSAGES_EN = {
  'errors.internal': 'Internal error',
  'errors.noDataDir': 'This shell has no data folder; start Keyhold with one (keyhold serve --data-dir DIR)',

  'errors.engine.noEngine': 'This shell runs no KMIP engine; use keyhold serve or the desktop app',
  'errors.engine.notInBuild': 'The KMIP engine is not available in this build',
  'errors.engine.timeout': 'The KMIP engine did not answer in time: try again; if it keeps failing, restart Keyhold and look at its log',
  'errors.engine.crashed': 'The KMIP engine stopped while working on this: try again; if it keeps failing, restart Keyhold and look at its log',
  'errors.engine.unavailable': 'The KMIP engine is not available: try again; if it keeps failing, restart Keyhold and look at its log',
  'errors.engine.notRunning': 'The KMIP server is not running: start it on the Dashboard, then try again',
  'errors.engine.locked': 'The KMIP server is locked: unlock it with the master key passphrase on the Dashboard, then try again',
  'errors.engine.noObject': 'No object with identifier {id}; it may have been removed: refresh the list',
  'errors.engine.cannotStart': 'This shell cannot start the KMIP server',
  'errors.engine.startFailed': 'The KMIP server did not start: {reason}. Fix the cause (a port in use: choose another one in the settings) and start it again.',
  'errors.engine.stopFailed': 'The KMIP server did not stop cleanly: {reason}. Check the log; quitting the app stops it for certain.',
  'errors.engine.wrongPassphrase': 'Not unlocked: {reason}. Check the passphrase and try again.',
  'errors.engine.notLocked': 'The server is not locked: there is nothing to unlock.',
  'errors.engine.unlockNotRunning': 'The KMIP server is not running: start it first, then unlock it.',
  'errors.engine.notUnlocked': 'Not unlocked: {reason}',

  'errors.keys.notRestored': 'Object {id} was not restored; refresh and try again',

  'errors.logs.unreadable': "The audit log could not be read ({reason}); check the data folder's permissions and disk",

  'errors.clients.notFound': 'no client named "{name}" is registered',
  'errors.clients.exists': 'a client named "{name}" is already registered',
  'errors.clients.retired': '"{name}" belonged to a removed client whose objects still carry that name; choose another name',
  'errors.clients.permissions': 'permissions: {reason}',
  'errors.clients.p12NotIssued': 'A PKCS#12 file can only be made for a certificate Keyhold issues (it needs the key); leave the passphrase empty',
  'errors.clients.nothingToChange': 'Nothing to change: give a description, addresses, permissions, groups or enabled',

  'errors.certs.noNames': 'Give the host names and/or IP addresses clients will use to reach the server',

  'errors.port.inUse': 'Port {port} is in use by another program: stop that program, or use port {suggested} (free)',
  'errors.port.inUseNoFree': 'Port {port} is in use by another program: stop that program, or choose another port',
  'errors.port.denied': 'Port {port} needs administrator rights on this system: choose a port above 1023',
  'errors.port.error': 'Port {port} cannot be used ({code}): choose another port',

  'errors.backups.noFolder': 'No backup folder is configured: choose one in the backup settings first',
  'errors.backups.missing': '{name} is not in the backup folder (any more): refresh the list',
  'errors.backups.passphraseNeeded': 'This backup is protected by the backup passphrase: enter it',
  'errors.backups.masterPassphraseNeeded': 'The master key is protected by a passphrase: enter the master key passphrase (or start and unlock the server to verify)',
  'errors.backups.otherServer': 'Another Keyhold server is running on {dir}: stop it before a restore',
  'errors.backups.folderRelative': 'Give the full path of the backup folder (e.g. /mnt/backup/keyhold), not "{folder}"',
  'errors.backups.notRunning': 'The KMIP server is not running: start it (and unlock it), then run the backup',
  'errors.backups.unusable': '{name} is not usable: {reason}',
  'errors.backups.confirm': "Type the backup's file name ({name}) exactly to confirm the restore",
  'errors.backups.stopFirst': 'Stop the KMIP server first: a restore replaces its data folder',
  'errors.backups.notRestored': 'Not restored (the data folder is unchanged): {reason}',

  'errors.setup.noDataDir': 'This shell has no data folder: run the setup in `keyhold serve` or the desktop app',
  'errors.setup.fileInvalid': '{file} is not valid JSON: fix it, or delete it to run the setup wizard from the start',
  'errors.setup.fileUnreadable': 'cannot read {file}: {reason}',
  'errors.setup.testLocked': 'The KMIP server is locked: unlock the master key, then run the test again',
  'errors.setup.testNotRunning': 'The KMIP server is not running: start it, then run the test again',
  'errors.setup.certAndKey': 'Give both the client certificate and its key, or neither (then the built-in test client is used)',
  'errors.setup.serverCert': 'The server certificate cannot be read: {reason}. Go back to step 2 and set up the certificate',
  'errors.setup.clientPair': "The client certificate and key cannot be used together ({reason}): give the files of the client's bundle",
} as const;

export type ErrorMessageKey = keyof typeof ERROR_MESSAGES_EN;

/** Every key a server-side error may carry: the error table and the field problems of shared/forms. */
export const SERVER_MESSAGES_EN = { ...FORM_MESSAGES_EN, ...ERROR_MESSAGES_EN } as const;
export type ServerMessageKey = keyof typeof SERVER_MESSAGES_EN;

/** The {names} of a message text, as a type: 'Port {port} ({code})' → 'port' | 'code'. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

/** The params a key needs: exactly its placeholders (the type checker holds every call site to them). */
export type ParamsOf<K extends ServerMessageKey> = { readonly [P in Placeholders<(typeof SERVER_MESSAGES_EN)[K]>]: string | number };

export function isServerMessageKey(key: string): key is ServerMessageKey {
  return Object.hasOwn(SERVER_MESSAGES_EN, key);
}

/** Fills {name} placeholders from params; an unknown one stays as written. */
export function fillPlaceholders(text: string, params: Readonly<Record<string, string | number>> = {}): string {
  return text.replace(/\{(\w+)\}/g, (m, n: string) => (Object.hasOwn(params, n) ? String(params[n]) : m));
}

/** The English sentence of a key with its params. */
export function englishMessage<K extends ServerMessageKey>(key: K, params: ParamsOf<K>): string {
  return fillPlaceholders(SERVER_MESSAGES_EN[key], params as Readonly<Record<string, string | number>>);
}
