// Group commit: many transactions, one fsync.
//
// With synchronous=FULL every SQLite commit fsyncs the write-ahead log before
// it returns, so a server answering N concurrent requests pays N fsyncs
// (~1k commits/s on this class of disk). In group mode the store runs WAL with
// synchronous=NORMAL instead: a commit returns once its frames are written to
// the OS (so it already survives the *process* being killed at any moment),
// and the caller makes it durable against an OS crash or power loss by
// awaiting sync() before it acknowledges anything. sync() fsyncs the -wal file
// once for every commit made so far, so the requests that committed while one
// fsync was running share the next.
//
// Why fsyncing the -wal file is enough: in WAL mode every commit is a set of
// frames appended to the -wal file; the database file is only written by a
// checkpoint, and with synchronous=NORMAL SQLite fsyncs the WAL before a
// checkpoint and the database file after it. A commit is therefore on stable
// storage once the -wal file holding it is, or once it has been checkpointed.
// The -wal file is reopened by path for every fsync: SQLite restarts the log
// from the beginning after a checkpoint (same file, same inode) and removes it
// when the last connection closes (by which time a checkpoint has made every
// commit durable in the database file). Page-cache writeback is per inode, so
// an fsync through our own descriptor covers what SQLite wrote through its own.
//
// fsync errors are sticky: after one failure the kernel may already have
// dropped the dirty pages, and a later fsync can succeed without them ever
// reaching the disk. So once an fsync fails, every sync() fails from then on
// and nothing more is acknowledged until the store is reopened.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A durability barrier: acknowledge a change only after its sync() resolved. */
export interface Durable {
  /**
   * Resolves when every transaction committed before the call is on stable
   * storage; rejects (then and on every later call) when that cannot be made
   * true. Costs nothing when nothing was committed since the last sync.
   */
  sync(): Promise<void>;
  /** Counters for tests and the benchmark. */
  readonly durabilityStats: DurabilityStats;
}

export interface DurabilityStats {
  /** Write transactions committed (top level). */
  commits: number;
  /** fsyncs of the log issued by sync(). */
  syncs: number;
}

/** Flush a file (or directory) to stable storage; tests inject a failing or counting one. */
export type FsyncFile = (path: string) => Promise<void>;

/**
 * fdatasync, as SQLite itself uses on Linux: it flushes the data and the
 * metadata needed to read it back (the size of a grown log), and skips the
 * timestamps, which saves a journal commit when the log is reused in place.
 */
export const fsyncFile: FsyncFile = async (path) => {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
};

/** An fsync this slow (ms, as awaited) marks a slow disk, where concurrent syncs wait a little to share the next one. */
const SLOW_FSYNC_MS = 8;

/** The group-commit bookkeeping of one store: commit numbers in, fsyncs of the -wal file out. */
export class WalSyncer implements Durable {
  readonly durabilityStats: DurabilityStats = { commits: 0, syncs: 0 };
  /** Commits [1, synced] are known durable. */
  private synced = 0;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  /** The -wal file's directory entry is made durable once, at the first sync (SQLite does the same for a new log). */
  private dirSynced = false;

  constructor(
    private readonly walFile: string,
    /** Whether the database is still open: after close, a missing -wal file means it was checkpointed away. */
    private readonly isOpen: () => boolean,
    private readonly fsync: FsyncFile = fsyncFile,
  ) {}

  /** Called after each top-level write transaction that changed rows (even one rolled back: a spare fsync is harmless, a missed one is not). */
  committed(): void {
    this.durabilityStats.commits++;
  }

  async sync(): Promise<void> {
    const target = this.durabilityStats.commits;
    let waited = false;
    while (this.synced < target) {
      if (this.failure !== undefined) throw this.failure;
      // One fsync at a time; whoever arrives while it runs waits for it and,
      // if their commit came after it started, for the next one.
      if (this.inFlight === undefined) this.inFlight = this.flush(waited).finally(() => (this.inFlight = undefined));
      await this.inFlight;
      waited = true;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** How long the last fsync took (ms). */
  private lastFsyncMs = 0;

  /**
   * `backToBack`: this fsync follows one that others were already queued
   * behind, i.e. requests are concurrent. Without a pause, N closed-loop
   * clients then settle into two groups that alternate fsyncs (the group just
   * answered commits while the other group's fsync runs): N/2 commits per
   * fsync. On a slow disk (an fsync of SLOW_FSYNC_MS or more) a 2 ms pause
   * lets the answered group's next commits join: up to N per fsync, for
   * ≤ 25% more latency under concurrency and none for a lone client. On a
   * fast disk the pause costs more than the fsyncs it saves: with fsyncs
   * measured at ~2 ms (event-loop delay included) a 1 ms pause took a fifth
   * of Create throughput over 4 connections.
   */
  private async flush(backToBack: boolean): Promise<void> {
    if (backToBack && this.lastFsyncMs >= SLOW_FSYNC_MS) await new Promise((r) => setTimeout(r, 2));
    const upTo = this.durabilityStats.commits;
    const started = performance.now();
    try {
      this.durabilityStats.syncs++;
      if (!this.dirSynced) {
        await this.fsync(dirname(this.walFile));
        this.dirSynced = true;
      }
      await this.fsync(this.walFile);
      this.lastFsyncMs = performance.now() - started;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !this.isOpen()) {
        // Closed meanwhile: closing checkpointed the log into the (fsynced) database file.
      } else {
        this.failure = new Error(`the database log could not be flushed to disk (${(e as NodeJS.ErrnoException).code ?? 'error'}); changes are no longer acknowledged`);
        throw this.failure;
      }
    }
    this.synced = Math.max(this.synced, upTo);
  }
}

/** The store in synchronous=FULL mode: every commit is already durable when it returns. */
export class CommitDurable implements Durable {
  readonly durabilityStats: DurabilityStats = { commits: 0, syncs: 0 };
  committed(): void {
    this.durabilityStats.commits++;
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
}
