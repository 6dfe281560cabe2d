// The Settings area: DIR/settings.json (main/server/settings-file.ts). A KMIP
// port another program holds is refused with a free one near it (the probe of
// the setup wizard's environment check, main/admin/calls/setup.ts).
import type { PortCheck, SettingsView, settingsCalls } from '../../../shared/ipc/calls/settings.js';
import type { EnvMessageCode } from '../../../shared/ipc/calls/setup.js';
import type { ServerMessageKey } from '../../../shared/ipc/error-messages.js';
import { readSettings, settingsDiff, writeSettings, type ServerSettings } from '../../server/settings-file.js';
import { CallError } from '../dispatch.js';
import { findFreePort, portCheck, probePort } from './setup.js';
import type { AdminDeps, AreaHandlers } from './types.js';
import { dataDirOf, oneLine } from './util.js';

const view = (s: ServerSettings): SettingsView => ({ serverName: s.serverName, kmipPort: s.kmipPort, tlsMin: s.tlsMin, tlsProfile: s.tlsProfile, app: { ...s.app } });

/** The port the running server listens on, from its endpoint ("0.0.0.0:5696", "[::]:5696"); null while not running. */
function runningPort(endpoint: string | null): number | null {
  const m = endpoint === null ? null : /:(\d+)$/.exec(endpoint);
  return m ? Number(m[1]) : null;
}

export async function checkKmipPort(deps: AdminDeps, port: number): Promise<PortCheck> {
  const status = await deps.engine.status();
  const ours = status.state !== 'stopped' && runningPort(status.endpoint) === port;
  const probe = ours ? ({ free: true } as const) : await probePort(port);
  const suggested = probe.free ? null : await findFreePort(port);
  const c = portCheck(port, probe, ours, suggested);
  if (c.severity === 'info') return { port, ok: true, message: c.message, suggested };
  const e = portError(c.code, c.params);
  return { port, ok: false, message: e.message, key: e.key!, params: { ...e.params }, suggested };
}

/** A refused port's error (the setup wizard's check without its "in step 3"), keyed for the UI. */
function portError(code: EnvMessageCode, params: Record<string, string | number>): CallError {
  const port = params.port ?? '';
  switch (code) {
    case 'port.inUse': return CallError.of('bad_request', 'errors.port.inUse', { port, suggested: params.suggested ?? '' });
    case 'port.inUseNoFree': return CallError.of('bad_request', 'errors.port.inUseNoFree', { port });
    case 'port.denied': return CallError.of('bad_request', 'errors.port.denied', { port });
    default: return CallError.of('bad_request', 'errors.port.error', { port, code: params.code ?? code });
  }
}

export function settingsHandlers(deps: AdminDeps): AreaHandlers<typeof settingsCalls> {
  return {
    'settings.get': async () => view(await oneLine(() => readSettings(dataDirOf(deps)), 'internal')),
    'settings.set': async (args) => {
      const dataDir = dataDirOf(deps);
      const before = await oneLine(() => readSettings(dataDir), 'internal');
      const next: ServerSettings = {
        serverName: args.serverName ?? before.serverName,
        kmipPort: args.kmipPort ?? before.kmipPort,
        tlsMin: args.tlsMin ?? before.tlsMin,
        tlsProfile: args.tlsProfile ?? before.tlsProfile,
        app: { ...before.app, ...(args.app?.startServerAtLaunch === undefined ? {} : { startServerAtLaunch: args.app.startServerAtLaunch }), ...(args.app?.openAtLogin === undefined ? {} : { openAtLogin: args.app.openAtLogin }) },
      };
      if (args.kmipPort !== undefined && args.kmipPort !== before.kmipPort) {
        const port = await checkKmipPort(deps, args.kmipPort);
        if (!port.ok) throw new CallError('bad_request', port.message, port.key === undefined ? undefined : { key: port.key as ServerMessageKey, params: port.params ?? {} });
      }
      const changes = settingsDiff(before, next);
      if (changes.length > 0) await oneLine(() => writeSettings(dataDir, next), 'internal');
      const state = (await deps.engine.status()).state;
      const restartNeeded = state !== 'stopped' && (before.kmipPort !== next.kmipPort || before.tlsMin !== next.tlsMin || before.tlsProfile !== next.tlsProfile);
      return { settings: view(next), changes, restartNeeded };
    },
    'settings.checkPort': ({ port }) => checkKmipPort(deps, port),
  };
}
