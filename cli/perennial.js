#!/usr/bin/env node
// The `perennial` bin: runs cli/main.ts through tsx (the project runs TypeScript directly).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
