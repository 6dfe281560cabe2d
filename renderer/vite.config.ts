// Builds the admin UI into renderer/dist, loaded by Electron from app://keyhold/
// and by a browser from the headless HTTP transport.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs work under both app://keyhold/ and http://127.0.0.1:port/.
  base: './',
  publicDir: false,
  plugins: [svelte({ compilerOptions: { runes: true } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP allows no data: URLs and no inline code: emit every asset as a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
