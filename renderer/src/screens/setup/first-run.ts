// First run: until setup is complete, opening the app (no route, or the
// dashboard it defaults to) goes to the wizard at the step it was left on.
// Any other route is left alone, so Settings can still reach every screen.
// The answer also tells the navigation whether to list the wizard.
import type { KeyholdClient } from '../../api.js';
import { router } from '../../router.svelte.js';
import { setupStatus } from './setup-status.svelte.js';

export async function openSetupOnFirstRun(client: KeyholdClient): Promise<void> {
  let state;
  try {
    state = await client.call('setup.state');
  } catch {
    return; // no data dir in this shell, or main unreachable: the screens say so themselves
  }
  setupStatus.complete = state.complete;
  const first = router.segments[0];
  if (!state.complete && (first === undefined || first === 'dashboard')) router.go(`/setup/${state.step}`);
}
