import { afterAll } from 'vitest';
import { describeCallScenarios, figures } from './support/call-scenarios.ts';

describeCallScenarios('in-process memory backends', () => ({}));
afterAll(() => process.stdout.write(`call figures, memory (ms): ${JSON.stringify(figures)}\n`));
