#!/usr/bin/env node
/**
 * @module Entry point of the `cartlink-emulator` command: registers tsx's loader so the
 * TypeScript sources run as they are, then starts the CLI (`src/cli.ts`).
 */
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
