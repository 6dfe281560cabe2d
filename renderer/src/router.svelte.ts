// Hash routing (#/keys, #/setup/2): works under app://keyhold/ and the
// headless server alike, survives a reload, and needs no server routes. The
// headless URL's token also travels in the fragment; http-bridge.ts takes it
// out before the router reads the hash.

function currentPath(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

class Router {
  path = $state(currentPath());

  constructor() {
    window.addEventListener('hashchange', () => {
      this.path = currentPath();
    });
  }

  /** The path's segments: '/setup/2' → ['setup', '2']. */
  get segments(): string[] {
    return this.path.split('/').filter((s) => s !== '');
  }

  go(path: string): void {
    if (path === this.path) return;
    location.hash = path;
  }
}

export const router = new Router();
