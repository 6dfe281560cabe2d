// Hash routing: the path follows location.hash (also when the user edits the
// URL or goes back), segments split it, and go() writes the hash.
import { beforeEach, describe, expect, it, vi } from 'vitest';

type RouterModule = typeof import('../src/router.svelte.js');

async function load(hash: string): Promise<RouterModule> {
  history.replaceState(null, '', `/${hash}`);
  vi.resetModules();
  return import('../src/router.svelte.js');
}

/** jsdom fires hashchange asynchronously, as browsers do. */
const hashChanged = () => new Promise<void>((resolve) => window.addEventListener('hashchange', () => resolve(), { once: true }));

beforeEach(() => {
  history.replaceState(null, '', '/');
});

describe('router', () => {
  it('reads the path and its segments from the hash', async () => {
    const { router } = await load('#/setup/2');
    expect(router.path).toBe('/setup/2');
    expect(router.segments).toEqual(['setup', '2']);
  });

  it('no hash, or a hash that is not a path, is the root', async () => {
    expect((await load('')).router.path).toBe('/');
    const { router } = await load('#token=abc');
    expect(router.path).toBe('/');
    expect(router.segments).toEqual([]);
  });

  it('go() sets the hash and the path follows', async () => {
    const { router } = await load('#/dashboard');
    const changed = hashChanged();
    router.go('/keys/ABC-1');
    expect(location.hash).toBe('#/keys/ABC-1');
    await changed;
    expect(router.path).toBe('/keys/ABC-1');
    expect(router.segments).toEqual(['keys', 'ABC-1']);
  });

  it('follows a hash changed outside the router (typed URL, back button)', async () => {
    const { router } = await load('#/dashboard');
    const changed = hashChanged();
    location.hash = '#/logs';
    await changed;
    expect(router.path).toBe('/logs');
  });

  it('go() to the current path does not touch the hash', async () => {
    const { router } = await load('#/logs');
    const spy = vi.fn();
    window.addEventListener('hashchange', spy);
    router.go('/logs');
    await new Promise((r) => setTimeout(r, 20));
    expect(spy).not.toHaveBeenCalled();
    window.removeEventListener('hashchange', spy);
  });
});
