// devcloud's tests start servers and child processes on two shared cores, possibly with other work competing (the
// kit's npm run test:busy): allow them 60 s, as the kit's tests do. A safety net, not a measure.
// Set here rather than as `testTimeout`, which jest reads only from the top-level config, not from a project's.
jest.setTimeout(60_000);
