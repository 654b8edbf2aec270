import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addon + worker_threads: forks isolate each test file in its own process, so a crash
    // in one file cannot hide in another, and the addon is loaded fresh per file.
    pool: 'forks',
    // Two cores shared by the whole team: keep parallelism modest.
    maxWorkers: 2,
    // Generous: CI and the team share a loaded 2-core machine, where a 60 s limit was exceeded.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
