#!/usr/bin/env node
// Where an inference plan's time goes: builds the plan (lib/plan) for [batch, ...input] of a zoo
// model, times `runs` synchronous runs (minimum), then prints each step's mean wall time with the
// algorithm it uses, slowest first.
//   node scripts/plan-profile.mjs [zooModel=lenet5] [batch=32] [runs=50]
// resnet18 is built for 224x224x3 and 1000 classes, as in the serving load test.
// Not a test; a measurement (noisy on a shared machine).
import * as ck from '../dist/index.js';
const which = process.argv[2] ?? 'lenet5', b = +(process.argv[3] ?? 32), runs = +(process.argv[4] ?? 50);
ck.setSeed(1);
const m = which === 'resnet18' ? ck.zoo.resnet18({ inputShape: [224, 224, 3], classes: 1000 }) : ck.zoo[which]();
const shape = m.inputs[0].shape.slice(1);
const plan = ck.InferencePlan.build(m, [[b, ...shape]]);
const x = ck.randomNormal([b, ...shape]);
for (let i = 0; i < 3; i++) plan.run([x])[0].dispose();
plan.setProfiling(true);
let best = Infinity;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  plan.run([x])[0].dispose();
  best = Math.min(best, performance.now() - t0);
}
const steps = plan.stepTimes().filter((s) => s.runs > 0);
const sum = steps.reduce((a, s) => a + s.ms, 0);
console.log(`${which} b${b}: ${best.toFixed(3)} ms per run (minimum of ${runs}), steps sum to ${sum.toFixed(3)} ms (profiled)`);
for (const s of steps.sort((p, q) => q.ms - p.ms))
  console.log(`  ${s.name.padEnd(24)} ${s.kind.padEnd(8)} ${s.detail.padEnd(24)} ${s.ms.toFixed(3)} ms ${((100 * s.ms) / sum).toFixed(1).padStart(5)}%`);
plan.dispose?.();
