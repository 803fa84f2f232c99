#!/usr/bin/env node
// The `cco` binary: oclif dispatches to the compiled commands in dist/src/commands.

// Durable writes (fsync) and token verification (WebCrypto) share libuv's pool; 4 threads make
// one wait behind the other under load. It must be sized before first use, hence before imports.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
