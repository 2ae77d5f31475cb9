/**
 * The default pipeline (`npm start`: every analysis on) against bare sharp doing only the
 * image outputs, the same way as bench/pipeline-vs-sharp.ts: issue #14's goal is ≥ 0.7×.
 */
process.env.BENCH_ANALYSIS ??= 'all';
await import('./pipeline-vs-sharp.ts');
