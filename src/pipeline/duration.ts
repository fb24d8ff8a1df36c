/** Durations in config are strings such as `500ms`, `30s`, `5m`, `2h` (Temporal accepts the same). */
import { z } from 'zod';
import { DURATION, parseDuration } from './duration-ms.js';

export { parseDuration };

export const durationSchema = z.string().regex(DURATION, 'expected a duration such as 500ms, 30s, 5m or 2h');
