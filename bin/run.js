#!/usr/bin/env node
// The `cco` binary: oclif dispatches to the compiled commands in dist/src/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
