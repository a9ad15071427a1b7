// devcloud's tests start servers and child processes on two shared cores: allow them 30 s, as the kit's tests do.
// Set here rather than as `testTimeout`, which jest reads only from the top-level config, not from a project's.
jest.setTimeout(30_000);
