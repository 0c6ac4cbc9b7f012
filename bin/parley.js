#!/usr/bin/env node
// Runs the TypeScript sources directly (the generated Prisma client is TypeScript too).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
