/** Module resolution hook for the k6 runner: `k6` and `k6/<module>` resolve to the files beside this one. */
const MODULES: Record<string, string> = {
  k6: 'k6.ts',
  'k6/http': 'http.ts',
  'k6/metrics': 'metrics.ts',
  'k6/timers': 'timers.ts',
  'k6/websockets': 'websockets.ts',
  'k6/execution': 'execution.ts',
};

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  const file = MODULES[specifier];
  if (file) return { url: new URL(file, import.meta.url).href, shortCircuit: true };
  if (specifier.startsWith('k6/')) throw new Error(`the k6 runner does not provide ${specifier}`);
  return next(specifier, context);
}
