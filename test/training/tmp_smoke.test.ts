import { it } from 'vitest';
import { lenet5 } from '../../lib/zoo/index.js';
import '../../lib/training/index.js';
import { setSeed } from '../../lib/index.js';
import { allocTensor, f32, i32 } from '../../lib/tensor/internal.js';
it('smoke', async () => {
setSeed(1);
const n = 512;
const x = allocTensor([n, 28, 28, 1]); const xv = f32(x);
const y = allocTensor([n], 'int32'); const yv = i32(y);
for (let i = 0; i < n; i++) { const c = i % 10; yv[i] = c; for (let j = 0; j < 784; j++) xv[i*784+j] = Math.sin(j * (c+1) * 0.01) + 0.3*Math.random(); }
const m = lenet5();
m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const t0 = performance.now();
const h = await m.fit(x, y, { epochs: 3, batchSize: 64, validationSplit: 0.2 });
console.log(h.history, (performance.now()-t0)/1000);
console.log(await m.evaluate(x, y));
});
