/**
 * The `[job_declaration]` section of the agent config: the miner's own templates (Template Provider),
 * the pool + JDS pairs to declare them to, the mode and the censorship policy. The table is checked by
 * the Job Declaration module's own strict parser (src/upstream/jd/jd-options.ts); its problems are
 * reported here with their lines like every other config error.
 */
import { JobDeclarationConfigError, parseJobDeclarationTable, type JobDeclarationConfig } from '../upstream/jd/jd-options.js';
import { INVALID, type Schema } from './schema.js';

export const jobDeclarationSchema: Schema<JobDeclarationConfig | undefined> = {
  describe: 'a [job_declaration] table (docs/job-declaration.md)',
  required: false,
  check(v, key, ctx) {
    try {
      return parseJobDeclarationTable(v, key);
    } catch (err) {
      if (!(err instanceof JobDeclarationConfigError)) throw err;
      for (const p of err.problems) ctx.report(p.key, p.message);
      return INVALID;
    }
  },
};
