// Keeps a setting file of the data dir current in a running server
// (clients.json, policy.json): fs.watch on the directory (an atomic rename
// replaces the file's inode, so watching the file itself would go deaf after
// the first write) plus a stat poll, because fs.watch is not reliable on
// every file system (network shares, some containers). Reloads never overlap:
// a change during a reload runs one more.
import fs from 'node:fs';
import path from 'node:path';

export function watchFile(dataDir: string, name: string, reload: () => Promise<void>, pollMs = 250): { close(): void } {
  const file = path.join(dataDir, name);
  let lastStamp = fileStamp(file);
  let reloading = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (reloading) { again = true; return; }
    reloading = true;
    try {
      do {
        again = false;
        lastStamp = fileStamp(file);
        await reload();
      } while (again);
    } finally { reloading = false; }
  };
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dataDir, { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) void run();
    });
    watcher.on('error', () => { watcher?.close(); watcher = undefined; }); // the poll carries on
  } catch { /* no watch support: polling only */ }
  const poll = setInterval(() => { if (fileStamp(file) !== lastStamp) void run(); }, pollMs);
  poll.unref();
  return { close() { clearInterval(poll); watcher?.close(); } };
}

/** Inode, size and modification time: any write or replacement changes it. */
export function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch { return 'absent'; }
}
