/**
 * `nanhunt/db`: the failure database (saved minimal cases that run first next time), reading
 * failure files, and replaying them.
 */
export {
  openFailureDatabase,
  readFailureFile,
  DEFAULT_DB_DIR,
  type FailureDatabase,
  type FailureDatabaseOptions,
  type SavedFailure,
  type SaveMeta,
  type DbProblem,
  type PruneResult,
} from './database.ts';
export { FailureFileError, type FailureRecord, type FailureOrigin } from './record.ts';
export { replayFailure, environmentNotes } from './replay.ts';
export { loadRecordedProperty, originOf, describeOrigin } from './origin.ts';
