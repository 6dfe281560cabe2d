// Operation enumeration value → handler. A map, so that the set of served
// operations is data: Query Operations lists exactly what is registered, and
// anything absent answers Operation Not Supported.
import type { OperationHandler, OperationModule } from './context.js';
import * as discoverVersions from './operations/discover-versions.js';
import * as query from './operations/query.js';

export class Router {
  readonly #handlers = new Map<number, OperationHandler>();

  constructor(modules: readonly OperationModule[] = []) {
    for (const m of modules) this.register(m);
  }

  register(m: OperationModule): this {
    if (this.#handlers.has(m.operation)) throw new Error(`operation 0x${m.operation.toString(16)} is registered twice`);
    this.#handlers.set(m.operation, m.handler);
    return this;
  }

  handler(operation: number): OperationHandler | undefined {
    return this.#handlers.get(operation);
  }

  /** Registered Operation values, ascending. */
  operations(): number[] {
    return [...this.#handlers.keys()].sort((a, b) => a - b);
  }
}

/** Every operation module the server ships. New operations are added here. */
export const OPERATION_MODULES: readonly OperationModule[] = [discoverVersions, query];

export function createRouter(extra: readonly OperationModule[] = []): Router {
  return new Router([...OPERATION_MODULES, ...extra]);
}
