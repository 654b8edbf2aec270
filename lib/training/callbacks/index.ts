export { Callback, CallbackList, LambdaCallback, toCallback, type CallbackHandlers, type CallbackLike } from './callback.js';
export { History } from './history.js';
export { ProgbarLogger, type ProgbarOptions, formatValue, formatDuration, formatPerStep, bar } from './progbar.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early_stopping.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce_lr_on_plateau.js';
export { CSVLogger } from './csv_logger.js';
export { TerminateOnNaN } from './terminate_on_nan.js';
export { BackupAndRestore, type BackupAndRestoreArgs } from './backup_and_restore.js';
export { ModelCheckpoint, formatPath, type ModelCheckpointArgs, type CheckpointSaver } from './model_checkpoint.js';
