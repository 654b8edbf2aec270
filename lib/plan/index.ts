/** Native inference plans: a model's forward pass compiled once per input shape (see plan.ts). */
export { InferencePlan, type InferencePlanInfo, type PlanRunOptions } from './plan.js';
export { compilePlanSpec, plannableLayerClasses, PlanUnsupported, type PlanSpec, type PlanStepDesc, type PlanStepKind } from './compile.js';
export {
  inferencePlanStatus, invalidateInferencePlans, planFor, predictSyncWithPlan, predictWithPlan, setInferencePlanEnabled,
  type InferencePlanStatus,
} from './cache.js';
