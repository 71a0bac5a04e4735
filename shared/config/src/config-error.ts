/** One configuration problem: the variable and why its value cannot be used. */
export interface ConfigProblem {
  variable: string;
  reason: string;
}

/** Every problem of a configuration at once, so an operator fixes them in one pass. */
export class ConfigError extends Error {
  readonly code = 'REPUTE_CONFIG_INVALID';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
