// The few log methods main/admin needs. console and electron-log's main
// logger both fit, so the modules here never import a logging backend.
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
