import { configure } from "@testing-library/react";

// Tell React that tests drive updates through act() (testing-library does).
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// waitFor and findBy* wait for round trips through the real wasm client and
// a local deployment: on a loaded machine those can take seconds, so the
// default of 1 s would flake. A generous bound, never a speed assertion.
configure({ asyncUtilTimeout: 15_000 });
