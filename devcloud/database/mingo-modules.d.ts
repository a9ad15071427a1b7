/**
 * mingo's subpath modules, typed. devcloud's tsconfig resolves packages the classic way (moduleResolution "node"),
 * which ignores package.json `exports`, so these entry points (which Node, tsx and jest resolve through `exports`)
 * are pointed at the declarations mingo ships under types/.
 */
declare module 'mingo/core' {
  export * from 'mingo/types/core';
}
declare module 'mingo/aggregator' {
  export * from 'mingo/types/aggregator';
}
declare module 'mingo/lazy' {
  export * from 'mingo/types/lazy';
}
declare module 'mingo/query' {
  export * from 'mingo/types/query';
}
declare module 'mingo/types' {
  export * from 'mingo/types/types';
}
declare module 'mingo/operators/accumulator' {
  export * from 'mingo/types/operators/accumulator';
}
declare module 'mingo/operators/expression' {
  export * from 'mingo/types/operators/expression';
}
declare module 'mingo/operators/pipeline' {
  export * from 'mingo/types/operators/pipeline';
}
declare module 'mingo/operators/projection' {
  export * from 'mingo/types/operators/projection';
}
declare module 'mingo/operators/query' {
  export * from 'mingo/types/operators/query';
}
