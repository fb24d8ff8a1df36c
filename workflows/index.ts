/** Workflow code registered by the worker (bundled apart from everything else). */
export { pipeline, progressQuery } from './pipeline.js';
export { ingestPartsChild } from './fan-out-child.js';
export { connectionLimit } from './connection-limit.js';
