// Bundles the sandboxed preload into a single CommonJS file. A sandboxed
// preload gets a cut-down `require` (electron and a few built-ins only), so
// the contract it is generated from must be inlined. Run from the repo root:
//   vite build --config build/vite.preload.config.ts
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'out/main/electron',
    emptyOutDir: false, // tsc output for main lives here too
    minify: false, // keep it readable: it is small and security-relevant
    sourcemap: false,
    target: 'chrome140', // Electron 45's Chromium
    lib: {
      entry: 'main/electron/preload.cts',
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rolldownOptions: {
      external: ['electron'],
    },
  },
});
