/** Registers every gradient function (imported for its side effects by the tape). */
import './elementwise.js';
import './reduction.js';
import './softmax.js';
import './movement.js';
import './matmul.js';
import './conv.js';
import './batch_norm.js';
import './higher_order.js';
